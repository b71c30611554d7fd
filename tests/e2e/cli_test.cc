#include <yaml-cpp/yaml.h>

#include <filesystem>

#include "tests/e2e/e2e.h"

using namespace sluice;
using namespace sluice::e2e;

TEST_CASE("sluice check prints every config error as FILE:LINE:COL and exits 2", "[e2e]") {
  Env env;
  std::string path = env.writeFile("bad.yaml",
                                   "agent:\n  shutdown_timout: 10s\nsources:\n  - name: app\n    type: stdin\n"
                                   "sinks:\n  - name: drain\n    type: logplex_https\n    url: https://x.example/logs\n"
                                   "    batch:\n      lingr: 200ms\n    max_inflight: 2\n    initail: 1s\n");
  AgentProcess check(env.agent({"check", "--config", path}));
  CHECK(finish(check, 30s) == 2);
  std::string err = check.stderrText();
  CHECK(err.find(path + ":2:3: unknown key 'shutdown_timout' (did you mean 'shutdown_timeout'?)") != std::string::npos);
  CHECK(err.find(path + ":11:7: unknown key 'lingr' (did you mean 'linger'?)") != std::string::npos);
  CHECK(err.find(path + ":12:5: unknown key 'max_inflight' (did you mean 'max_in_flight'?)") != std::string::npos);
  // A key that belongs one level down is suggested with its path.
  CHECK(err.find(path + ":13:5: unknown key 'initail' (did you mean 'retry.initial'?)") != std::string::npos);
}

TEST_CASE("running with a broken config exits 2 without starting anything", "[e2e]") {
  Env env;
  std::string path = env.writeFile("bad.yaml", "sources: [\n");
  AgentProcess run(env.agent({"--config", path}));
  CHECK(finish(run, 30s) == 2);
  CHECK(run.stderrText().find(path + ":") != std::string::npos);
}

TEST_CASE("every example config under conf/ passes sluice check, Kubernetes ConfigMaps included", "[e2e]") {
  Env env;
  std::vector<std::string> configs;
  for (const auto& e : std::filesystem::recursive_directory_iterator(std::string(SLUICE_SOURCE_DIR) + "/conf")) {
    if (e.path().extension() != ".yaml") continue;
    if (e.path().parent_path().filename() == "prometheus") continue;  // alert rules (monitoring_test.cc)
    std::vector<YAML::Node> docs = YAML::LoadAllFromFile(e.path().string());
    bool manifest = !docs.empty() && docs[0].IsMap() && docs[0]["apiVersion"];
    if (!manifest) {
      configs.push_back(e.path().string());
      continue;
    }
    for (const YAML::Node& doc : docs) {
      if (doc["kind"] && doc["kind"].as<std::string>() == "ConfigMap" && doc["data"]["sluice.yaml"]) {
        configs.push_back(env.writeFile(e.path().stem().string() + "-configmap.yaml",
                                        doc["data"]["sluice.yaml"].as<std::string>()));
      }
    }
  }
  REQUIRE(configs.size() >= 3);
  for (const auto& path : configs) {
    auto opts = env.agent({"check", "--config", path});
    opts.env["LOG_DRAIN_URL"] = "https://token:SECRET@logs.example.com/logs";
    opts.env["COLLECTOR_URL"] = "https://logs.example.com/logs";
    opts.env["COLLECTOR_TOKEN"] = "SECRET";
    opts.env["ADDON_TOKEN"] = "addon-token";
    opts.env["NODE_NAME"] = "node-1";
    AgentProcess check(opts);
    INFO(path << ": " << check.stderrText());
    CHECK(finish(check, 30s) == 0);
  }
}

TEST_CASE("the default config sends stdin to the stdout sink, as `echo hello | make run` does", "[e2e]") {
  Env env;
  auto opts = env.agent({"--config", std::string(SLUICE_SOURCE_DIR) + "/conf/sluice.yaml"});
  opts.env["SLUICE_STATE_DIR"] = env.dir.path();
  opts.stdin_file = env.writeFile("in.txt", "hello\n");
  AgentProcess run(opts);
  CHECK(finish(run, 30s) == 0);
  std::string out = run.stdoutText();
  INFO(out);
  CHECK(out.find(" - - hello\n") != std::string::npos);
  CHECK(out.rfind("<190>1 ", 4) != std::string::npos);
}

TEST_CASE("sluice --help-plugin lists a sink's options with their defaults", "[e2e]") {
  Env env;
  checkHelpPlugin(env, {"logplex_https"}, {"tls.ca_file", "batch.linger", "200ms"});
}

TEST_CASE("sluice --help-plugin describes a source plugin and names every type", "[e2e]") {
  Env env;
  // max_line_bytes: a key of every source.
  checkHelpPlugin(env, {"tail"}, {"source type 'tail'", "checkpoint_interval", "max_line_bytes"});
  AgentProcess none(env.agent({"--help-plugin", "nope"}));
  CHECK(finish(none, 30s) == 2);
  CHECK(none.stderrText().find("Sources: exec journald kafka logplex stdin tail") != std::string::npos);
}

TEST_CASE("an unknown argument is a usage error, exit 2", "[e2e]") {
  Env env;
  AgentProcess run(env.agent({"--frobnicate"}));
  CHECK(finish(run, 30s) == 2);
  CHECK(run.stderrText().find("unknown argument '--frobnicate'") != std::string::npos);
}

TEST_CASE("make run's form, --config with --drain, sends to the config's sinks and to the drain", "[e2e]") {
  Env env;
  TestDrain drain(env.drainOptions());
  auto opts = env.agent({"--config", std::string(SLUICE_SOURCE_DIR) + "/conf/sluice.yaml", "--drain", drain.url()});
  opts.env["SLUICE_STATE_DIR"] = env.dir.path();
  opts.env["SSL_CERT_FILE"] = env.certs.ca_cert;
  opts.stdin_file = env.writeFile("in.txt", "hello\n");
  AgentProcess run(opts);
  CHECK(finish(run, 30s) == 0);
  CHECK(run.stdoutText().find(" - - hello\n") != std::string::npos);
  CHECK(drain.bodies() == std::vector<std::string>{"hello"});
}

TEST_CASE("the configuration example in the README passes sluice check", "[e2e]") {
  Env env;
  const std::string readme = readSource("README.md");
  size_t section = readme.find("## Configuration");
  REQUIRE(section != std::string::npos);
  size_t start = readme.find("```yaml\n", section);
  REQUIRE(start != std::string::npos);
  start += 8;
  size_t end = readme.find("```", start);
  auto opts = env.agent({"check", "--config", env.writeFile("readme.yaml", readme.substr(start, end - start))});
  opts.env["LOG_TOKEN"] = "token";
  opts.env["ADDON_TOKEN"] = "addon";
  AgentProcess check(opts);
  INFO(check.stderrText());
  CHECK(finish(check, 30s) == 0);
}
