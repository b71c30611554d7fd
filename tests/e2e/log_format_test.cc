// agent.log_format: json: every line Sluice writes on stderr is one JSON object.
#include <sstream>

#include "tests/e2e/e2e.h"
#include "tests/support/flat_json.h"

using namespace sluice;
using namespace sluice::e2e;

TEST_CASE("with log_format json every stderr line is a JSON object, a drain's refusal a warn of its sink", "[e2e]") {
  Env env;
  TestDrain drain(env.drainOptions());
  drain.failNext(2, 503);
  AgentProcess agent(env.agent({"--config", env.config(drain, "", "  log_format: json\n  log_level: debug\n")}));
  REQUIRE(agent.write("one \"quoted\" line\n"));
  REQUIRE(drain.waitForMessages(1, 60s));
  agent.closeStdin();
  CHECK(finish(agent) == 0);

  const std::string err = agent.stderrText();
  INFO(err);
  REQUIRE(!err.empty());
  std::istringstream lines(err);
  size_t parsed = 0;
  bool refusal = false;
  for (std::string line; std::getline(lines, line);) {
    INFO(line);
    auto obj = parseFlatJsonObject(line);
    REQUIRE(obj);
    ++parsed;
    CHECK(obj->count("time") == 1);
    CHECK(obj->count("message") == 1);
    const std::string& level = (*obj)["level"];
    CHECK((level == "debug" || level == "info" || level == "warn" || level == "error"));
    if (level == "warn" && (*obj)["message"].find("delivery failed") != std::string::npos) {
      refusal = true;
      CHECK((*obj)["component"] == "drain");
      CHECK((*obj)["component_kind"] == "sink");
    }
  }
  CHECK(parsed >= 2);
  CHECK(refusal);
  CHECK(err.back() == '\n');  // no line cut short
}

TEST_CASE("an unknown log_format is a config error that lists text and json", "[e2e]") {
  Env env;
  std::string path = env.stdinConfig("  log_format: yaml\n", "  - name: out\n    type: stdout\n");
  AgentProcess check(env.agent({"check", "--config", path}));
  CHECK(finish(check, 30s) == 2);
  CHECK(check.stderrText().find("log_format: value 'yaml' is not one of: text, json") != std::string::npos);
}

TEST_CASE("SIGHUP switches the agent's own log from text to JSON", "[e2e][reload]") {
  Env env;
  TestDrain drain(env.drainOptions());
  AgentProcess agent(env.agent({"--config", env.config(drain)}));
  REQUIRE(agent.write("before\n"));
  REQUIRE(drain.waitForMessages(1, 60s));
  env.config(drain, "", "  log_format: json\n");
  agent.signal(SIGHUP);
  REQUIRE(waitFor([&] { return agent.stderrText().find("{\"time\":") != std::string::npos; }, 30s));
  agent.closeStdin();
  CHECK(finish(agent) == 0);
  const std::string err = agent.stderrText();
  INFO(err);
  const size_t first_json = err.find("{\"time\":");
  CHECK(first_json > 0);  // text lines came first
  CHECK(!parseFlatJsonObject(err.substr(0, err.find('\n'))));
  std::istringstream after(err.substr(first_json));
  size_t parsed = 0;
  for (std::string line; std::getline(after, line); ++parsed) {
    INFO(line);
    CHECK(parseFlatJsonObject(line));
  }
  CHECK(parsed >= 2);  // the reload's line and the exit summary
}
