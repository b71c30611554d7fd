// Hostile lines in a tailed file: a line nested deeper than any parser's stack, in a docker json-file log.
#include "plugins/tail/checkpoint_store.h"
#include "tests/e2e/admin_e2e.h"
#include "tests/e2e/tail_e2e.h"

using namespace sluice;
using namespace sluice::plugins::tail;
using namespace sluice::e2e;

namespace {

// ~130,000 nested '[' in the record's attrs: RapidJSON's recursive reader overflows the stack on it.
std::string hostileDockerLine() {
  return R"({"log":"deep\n","stream":"stdout","attrs":)" + std::string(130000, '[');
}

std::string dockerLine(const std::string& text) {
  return R"({"log":")" + text + R"(\n","stream":"stdout","time":"2024-05-01T10:00:00Z"})";
}

uint64_t checkpointOffset(const std::string& ckpt, const std::string& file) {
  Result<CheckpointSet> set = CheckpointStore::parse(readFile(ckpt));
  if (!set) return 0;
  for (const FileCheckpoint& f : set->files) {
    if (f.path == file) return f.offset;
  }
  return 0;
}

std::string tailYaml(const std::string& log, const std::string& extra) {
  return tailSource("[\"" + log + "\"]", "    format: docker\n    max_line_bytes: 512KiB\n" + extra);
}

}  // namespace

TEST_CASE("tail: a docker line nested 130,000 deep does not crash the agent, arrives raw, and is not sent again after a kill -9", "[e2e][tail]") {
  Env env;
  TestDrain drain(env.drainOptions());
  const std::string log = env.dir.file("0.log");
  const std::string bad = hostileDockerLine();
  auto writer = std::make_unique<LogWriter>(log);
  writer->write(dockerLine("before") + "\n" + bad + "\n" + dockerLine("after") + "\n");
  const uint64_t size = std::filesystem::file_size(log);
  const std::string config = adminConfig(env, drain, "", tailYaml(log, ""));
  const std::string ckpt = env.dir.file("state/checkpoints/files.checkpoint");
  {
    AgentProcess agent(env.agent({"--config", config}));
    const uint16_t port = apiPort(agent);
    INFO(agent.stderrText().substr(0, 4000));
    REQUIRE(drain.waitForMessages(3, 60s));
    CHECK(agent.running());
    std::vector<std::string> bodies = drain.bodies();
    REQUIRE(bodies.size() == 3);
    CHECK(bodies[0] == "before");
    CHECK(bodies[1] == bad);  // forwarded as it is
    CHECK(bodies[2] == "after");
    CHECK(metric(port, "sluice_component_errors_total{component_id=\"files\"", {"error_type=\"parse_docker\""}) == 1);
    // Logged once for the file, with where the line is.
    CHECK(agent.stderrText().find("not in docker format") != std::string::npos);
    // The checkpoint moves past it.
    REQUIRE(waitFor([&] { return checkpointOffset(ckpt, log) == size; }, 30s));
    killNine(agent);
  }
  writer->write(dockerLine("later") + "\n" + bad + "\n" + bad + "\n");
  AgentProcess agent(env.agent({"--config", config}));
  REQUIRE(drain.waitForMessages(6, 60s));
  CHECK(terminateAndFinish(agent) == 0);
  std::vector<std::string> bodies = drain.bodies();
  REQUIRE(bodies.size() == 6);
  CHECK(bodies[3] == "later");
  CHECK(bodies[4] == bad);
  CHECK(bodies[5] == bad);
  // Logged once per file, not per line.
  const std::string err = agent.stderrText();
  size_t first = err.find("not in docker format");
  CHECK(first != std::string::npos);
  CHECK(err.find("not in docker format", first + 1) == std::string::npos);
}

TEST_CASE("tail: with malformed: drop a line that cannot be decoded is dropped, counted and logged, and the rest flows", "[e2e][tail]") {
  Env env;
  TestDrain drain(env.drainOptions());
  const std::string log = env.dir.file("0.log");
  {
    LogWriter w(log);
    w.write(dockerLine("one") + "\n" + hostileDockerLine() + "\n" + "not json at all\n" + dockerLine("two") + "\n");
  }
  const uint64_t size = std::filesystem::file_size(log);
  AgentProcess agent(env.agent({"--config", adminConfig(env, drain, "", tailYaml(log, "    malformed: drop\n"))}));
  const uint16_t port = apiPort(agent);
  REQUIRE(drain.waitForMessages(2, 60s));
  const std::string ckpt = env.dir.file("state/checkpoints/files.checkpoint");
  REQUIRE(waitFor([&] { return checkpointOffset(ckpt, log) == size; }, 30s));
  CHECK(metric(port, "sluice_component_dropped_events_total{component_id=\"files\"", {"reason=\"malformed\""}) == 2);
  CHECK(metric(port, "sluice_component_errors_total{component_id=\"files\"", {"error_type=\"parse_docker\""}) == 2);
  CHECK(terminateAndFinish(agent) == 0);
  CHECK(drain.bodies() == std::vector<std::string>{"one", "two"});
  CHECK(agent.stderrText().find("dropped") != std::string::npos);
}
