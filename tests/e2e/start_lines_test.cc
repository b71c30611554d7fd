// What Sluice says at start: one line per source and sink, and a warning for a tail pattern that matches nothing.
#include <filesystem>

#include "tests/e2e/e2e.h"

using namespace sluice;
using namespace sluice::e2e;

TEST_CASE("at start each source and sink says what it does, and an empty tail pattern is a warning", "[e2e]") {
  Env env;
  std::filesystem::create_directories(env.dir.file("logs"));
  std::filesystem::create_directories(env.dir.file("later"));
  env.writeFile("logs/a.log", "");
  env.writeFile("logs/b.log", "");
  const std::string out = env.dir.file("out.log");
  const std::string missing_dir = env.dir.file("no-such-dir");
  std::string config = env.writeFile(
      "sluice.yaml",
      "agent:\n  state_dir: " + env.dir.file("state") +
          "\nsources:\n  - name: app\n    type: stdin\n"
          "  - name: nginx\n    type: tail\n    paths: [\"" + env.dir.file("logs") + "/*.log\"]\n"
          "  - name: later\n    type: tail\n    paths: [\"" + env.dir.file("later") + "/*.log\"]\n"
          "    refresh_interval: 100ms\n"
          "  - name: gone\n    type: tail\n    paths: [\"" + missing_dir + "/*.log\"]\n"
          "sinks:\n  - name: out\n    type: file\n    path: " + out + "\n");
  AgentProcess agent(env.agent({"--config", config}));
  auto said = [&](const std::string& text) { return agent.stderrText().find(text) != std::string::npos; };
  REQUIRE(waitFor([&] { return said("sink out: file, appends to " + out); }, 30s));
  REQUIRE(waitFor([&] { return said("tail gone: 0 files match "); }, 30s));  // the last source to start
  CHECK(said("stdin app: reads standard input"));
  CHECK(said("tail nginx: 2 files match " + env.dir.file("logs") + "/*.log"));
  CHECK(said("source gone: nothing matches " + missing_dir + "/*.log: the directory " + missing_dir +
             " does not exist (looking again every 5s)"));
  CHECK(said("source later: nothing matches " + env.dir.file("later") + "/*.log yet (looking again every 100ms)"));
  env.writeFile("later/x.log", "hi\n");
  CHECK(waitFor([&] { return said("source later: " + env.dir.file("later") + "/*.log matches files now"); }, 30s));
  CHECK(terminateAndFinish(agent, 30s) == 0);
}

TEST_CASE("sluice check notes a tail pattern that matches nothing now, and counts in the right number", "[e2e]") {
  Env env;
  const std::string missing_dir = env.dir.file("no-such-dir");
  std::string config = env.writeFile(
      "sluice.yaml", "sources:\n  - name: gone\n    type: tail\n    paths: [\"" + missing_dir +
                         "/*.log\"]\nsinks:\n  - name: out\n    type: stdout\n");
  AgentProcess check(env.agent({"check", "--config", config}));
  CHECK(finish(check, 30s) == 0);
  CHECK(check.stdoutText().find(config + ": ok (1 source, 1 sink)") != std::string::npos);
  CHECK(check.stdoutText().find("note: source gone: nothing matches " + missing_dir + "/*.log now (the directory " +
                                missing_dir + " does not exist)") != std::string::npos);
}
