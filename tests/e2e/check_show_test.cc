// `sluice check --config FILE --show`: the config as Sluice reads it.
#include <filesystem>

#include "tests/e2e/e2e.h"

using namespace sluice;
using namespace sluice::e2e;

namespace {

std::string showConfigFile(const Env& env) {
  const std::string logs = env.dir.file("logs");
  std::filesystem::create_directories(logs);
  env.writeFile("logs/a.log", "x\n");
  env.writeFile("logs/b.log", "x\n");
  env.writeFile("logs/skip.log", "x\n");
  return env.writeFile("sluice.yaml",
                       "agent:\n  hostname: ${TEST_HOST}\n  state_dir: " + env.dir.file("state") +
                           "\n  shutdown_timeout: 5s\n"
                           "api:\n  listen: 127.0.0.1:0\n  token: ${API_TOKEN}\n"
                           "sources:\n"
                           "  - name: nginx\n    type: tail\n    paths: [\"" + logs + "/*.log\"]\n"
                           "    exclude_paths: [\"skip*\"]\n"
                           "  - name: addons\n    type: logplex\n    listen: 127.0.0.1:0\n    tokens: [HUSH-input]\n"
                           "  - name: none\n    type: tail\n    paths: [\"" + logs + "/*.txt\"]\n"
                           "sinks:\n"
                           "  - name: drain\n    type: https\n    url: https://token:HUSH-url@logs.example.com/logs\n"
                           "    headers: {Authorization: \"Bearer HUSH-header\"}\n"
                           "    batch: {linger: 1s}\n"
                           "  - name: siem\n    type: syslog\n    url: tcp://127.0.0.1:6514\n");
}

}  // namespace

TEST_CASE("check --show prints every key with its default, secrets as ****, and the files a tail matches now",
          "[e2e][check]") {
  Env env;
  std::string path = showConfigFile(env);
  auto opts = env.agent({"check", "--config", path, "--show"});
  opts.env["API_TOKEN"] = "HUSH-api";
  opts.env["TEST_HOST"] = "web-42";
  AgentProcess check(opts);
  CHECK(finish(check, 30s) == 0);
  const std::string out = check.stdoutText();
  INFO(out);
  CHECK(out.find("HUSH") == std::string::npos);
  CHECK(check.stderrText().find("HUSH") == std::string::npos);
  // ${VAR}s expanded, what the file sets, and defaults it does not.
  CHECK(out.find("\n  hostname: web-42\n") != std::string::npos);
  CHECK(out.find("\n  shutdown_timeout: 5s\n") != std::string::npos);
  CHECK(out.find("\n  recent_lines: 10000\n") != std::string::npos);
  CHECK(out.find("\n    start_at: end\n") != std::string::npos);
  CHECK(out.find("\n      linger: 1s\n") != std::string::npos);
  CHECK(out.find("\n      max_bytes: 1MiB\n") != std::string::npos);
  CHECK(out.find("\n    max_in_flight: 4\n") != std::string::npos);
  CHECK(out.find("\n    type: logplex_https\n") != std::string::npos);
  // Secrets: the password in a URL, tokens, header values.
  CHECK(out.find("url: https://token:****@logs.example.com/logs") != std::string::npos);
  CHECK(out.find("Authorization: \"****\"") != std::string::npos);
  // The files each tail source follows now.
  const std::string logs = env.dir.file("logs");
  CHECK(out.find("    # matches now (2 files):\n    #   " + logs + "/a.log\n    #   " + logs + "/b.log\n") !=
        std::string::npos);
  CHECK(out.find("skip.log") == std::string::npos);
  CHECK(out.find("    # matches now: no file\n") != std::string::npos);

  // What it prints is a config that checks as it is.
  auto again = env.agent({"check", "--config", env.writeFile("shown.yaml", out)});
  AgentProcess recheck(again);
  INFO(recheck.stderrText());
  CHECK(finish(recheck, 30s) == 0);
}

TEST_CASE("check --show of a broken config prints the errors as check does and exits 2", "[e2e][check]") {
  Env env;
  std::string path = env.writeFile("bad.yaml", "sources:\n  - name: app\n    type: stdin\n    severty: info\n"
                                               "sinks:\n  - name: out\n    type: stdout\n");
  AgentProcess check(env.agent({"check", "--config", path, "--show"}));
  CHECK(finish(check, 30s) == 2);
  CHECK(check.stdoutText().empty());
  CHECK(check.stderrText().find(path + ":4:5: unknown key 'severty' (did you mean 'severity'?)") != std::string::npos);
}
