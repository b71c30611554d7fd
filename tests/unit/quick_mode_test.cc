// Quick mode's flags: parsed, written as config keys, and their errors named after the flag.
#include <catch2/catch.hpp>

#include "agent/app/cli.h"
#include "agent/app/quick_mode.h"

using namespace sluice;
using namespace std::chrono_literals;

namespace {

struct Loaded {
  std::optional<AgentConfig> config;
  ConfigErrors errors;
};

Loaded load(const std::vector<std::string>& args, const char* env = nullptr) {
  Result<CliOptions> cli = parseCli(args, env);
  REQUIRE(cli.ok());
  Loaded l;
  PluginRegistry registry = PluginRegistry::withBuiltins();
  l.config = loadRunConfig(*cli, registry, l.errors);
  return l;
}

std::string cliError(const std::vector<std::string>& args) {
  Result<CliOptions> cli = parseCli(args);
  return cli.ok() ? "" : cli.error().message;
}

const std::string kUrl = "https://token:SECRET@logs.example.com/logs";

}  // namespace

TEST_CASE("quick mode's flags become the keys of its config", "[cli]") {
  Loaded l = load({"--drain", kUrl, "--api", "127.0.0.1:0", "--shutdown-timeout", "3s", "--buffer", "always",
                   "--state-dir", "/tmp/x", "--tee", "--", "/bin/true"});
  INFO(l.errors.joined());
  REQUIRE(l.config);
  CHECK(l.config->api.listen == "127.0.0.1:0");
  CHECK(l.config->api.listen_set);
  CHECK(l.config->api_listen_key == "--api");
  CHECK(l.config->agent.shutdown_timeout == 3s);
  CHECK(l.config->agent.state_dir == "/tmp/x");
  REQUIRE(l.config->sinks.size() == 1);
  CHECK(l.config->sinks[0].settings.buffer_mode == BufferMode::Always);
  CHECK(l.config->sinks[0].settings.buffer_disk == (uint64_t{1} << 30));
  REQUIRE(l.config->sources.size() == 1);
  CHECK(l.config->sources[0].values.boolean("tee"));
}

TEST_CASE("quick mode: --api with an empty address turns the admin API off", "[cli]") {
  Loaded l = load({"--drain", kUrl, "--api", ""});
  REQUIRE(l.config);
  CHECK(l.config->api.listen.empty());
}

TEST_CASE("without the flags quick mode keeps the config's defaults", "[cli]") {
  Loaded l = load({"--drain", kUrl});
  REQUIRE(l.config);
  CHECK(l.config->api.listen == "127.0.0.1:8089");
  CHECK_FALSE(l.config->api.listen_set);
  CHECK(l.config->agent.shutdown_timeout == 10s);
  CHECK(l.config->sinks[0].settings.buffer_disk == 0);
  CHECK_FALSE(l.config->sources[0].values.boolean("tee"));
}

TEST_CASE("an error in a flag's value names the flag", "[cli]") {
  auto only = [](const std::vector<std::string>& args, const char* env = nullptr) {
    Loaded l = load(args, env);
    CHECK_FALSE(l.config);
    REQUIRE(l.errors.size() == 1);
    return l.errors.messages()[0];
  };
  CHECK(only({"--drain", "ftp://token:SECRET@x.example/logs"}) ==
        "--drain: the scheme must be https (or http for local tests), not 'ftp'");
  CHECK(only({"--drain", kUrl, "--shutdown-timeout", "abc"}).starts_with("--shutdown-timeout: invalid duration 'abc'"));
  CHECK(only({"--drain", kUrl, "--api", "nowhere"}).starts_with("--api: 'nowhere' is not HOST:PORT"));
  CHECK(only({"--drain", kUrl, "--buffer", "sometimes", "--state-dir", "/tmp/x"}) ==
        "--buffer: value 'sometimes' is not one of: overflow, always");
  CHECK(only({}, "ftp://x.example/logs").starts_with("SLUICE_DRAIN_URL: the scheme must be https"));
}

TEST_CASE("SLUICE_DRAIN_URL is the drain when neither --drain nor --config is given", "[cli]") {
  Result<CliOptions> cli = parseCli({"--", "/bin/true"}, kUrl.c_str());
  REQUIRE(cli.ok());
  CHECK(cli->drain_url == kUrl);
  CHECK(cli->drain_origin == "SLUICE_DRAIN_URL");
  cli = parseCli({"--drain", "https://other.example/logs"}, kUrl.c_str());
  REQUIRE(cli.ok());
  CHECK(cli->drain_url == "https://other.example/logs");
  cli = parseCli({"--config", "sluice.yaml"}, kUrl.c_str());
  REQUIRE(cli.ok());
  CHECK(cli->drain_url.empty());
  CHECK(cliError({"--", "/bin/true"}).find("SLUICE_DRAIN_URL") != std::string::npos);
}

TEST_CASE("quick mode's flags that a config file says otherwise are usage errors with --config", "[cli]") {
  CHECK(cliError({"--drain", kUrl, "--buffer", "always"}).starts_with("--buffer needs --state-dir DIR"));
  CHECK(cliError({"--config", "f.yaml", "--api", "127.0.0.1:0"}).find("api.listen") != std::string::npos);
  CHECK(cliError({"--config", "f.yaml", "--shutdown-timeout", "1s"}).find("agent.shutdown_timeout") != std::string::npos);
  CHECK(cliError({"--config", "f.yaml", "--state-dir", "/x"}).find("agent.state_dir") != std::string::npos);
  CHECK(cliError({"--config", "f.yaml", "--tee"}).starts_with("--tee applies to"));
  CHECK(cliError({"--config", "f.yaml", "--show"}).starts_with("--show goes with check"));
  CHECK(cliError({"check", "--config", "f.yaml", "--show"}).empty());
  CHECK(cliError({"--config", "f.yaml", "--tee", "--", "/bin/true"}).empty());
  CHECK(cliError({"--config", "f.yaml", "--drain", kUrl, "--buffer", "always"}).empty());
}

TEST_CASE("flags take their value after = too", "[cli]") {
  Result<CliOptions> cli = parseCli({"--drain=" + kUrl, "--api=", "--shutdown-timeout=2s"});
  REQUIRE(cli.ok());
  CHECK(cli->drain_url == kUrl);
  REQUIRE(cli->api_listen);
  CHECK(cli->api_listen->empty());
  CHECK(cli->shutdown_timeout == "2s");
}
