// More files than descriptors: the agent under a hard limit of 1,024 descriptors (prlimit), with 10,000 files.

#include "plugins/tail/checkpoint_store.h"
#include "tests/e2e/admin_e2e.h"
#include "tests/e2e/tail_e2e.h"

using namespace sluice;
using namespace sluice::plugins::tail;
using namespace sluice::e2e;

namespace {

// The agent under `prlimit --nofile=SOFT:HARD` (util-linux): prlimit execs it, so the pid is the agent's.
AgentProcess::Options limited(const Env& env, const std::string& limits, std::vector<std::string> args) {
  AgentProcess::Options o = env.agent({});
  o.binary = "/usr/bin/prlimit";
  o.args = {"--nofile=" + limits, SLUICE_BINARY};
  o.args.insert(o.args.end(), args.begin(), args.end());
  return o;
}

std::string name(size_t i) {
  char buf[32];
  snprintf(buf, sizeof buf, "f%05zu", i);
  return buf;
}

}  // namespace

TEST_CASE("tail: 10,000 files under a hard limit of 1,024 descriptors are all read, and the checkpoint is written", "[e2e][tail]") {
  Env env;
  TestDrain drain(env.drainOptions());
  const size_t files = 10000;
  const std::string dir = env.dir.file("logs");
  std::filesystem::create_directories(dir);
  for (size_t i = 0; i < files; ++i) {
    writeFile(dir + "/" + name(i) + ".log", name(i) + "-1\n" + name(i) + "-2\n");
  }
  const std::string source = "  - name: files\n    type: tail\n    paths: [\"" + dir + "/*.log\"]\n"
                             "    start_at: beginning\n    poll_interval: 500ms\n    refresh_interval: 1s\n"
                             "    checkpoint_interval: 1s\n";
  AgentProcess agent(limited(env, "1024:1024", {"--config", adminConfig(env, drain, "", source)}));
  const uint16_t port = apiPort(agent);
  INFO(agent.stderrText().substr(0, 4000));
  REQUIRE(drain.waitForMessages(2 * files, 120s));

  auto m = httpGet(port, "/metrics");
  REQUIRE(m);
  CHECK(metricValue(m->body, "sluice_component_files_tracked{component_id=\"files\"") == files);
  const double open = metricValue(m->body, "sluice_component_files_open{component_id=\"files\"");
  CHECK(open > 0);
  CHECK(open <= 768);  // 1,024 less the reserve of a quarter

  // Closed files that grow are reopened by identity and read in turn.
  for (size_t i = 0; i < files; i += 10) appendFile(dir + "/" + name(i) + ".log", name(i) + "-3\n");
  REQUIRE(drain.waitForMessages(2 * files + files / 10, 120s));

  CHECK(terminateAndFinish(agent) == 0);
  const std::string err = agent.stderrText();
  CHECK(err.find("Too many open files") == std::string::npos);
  CHECK(err.find("cannot write the checkpoint") == std::string::npos);

  std::vector<std::string> bodies = drain.bodies();
  CHECK(bodies.size() == 2 * files + files / 10);
  std::set<std::string> unique(bodies.begin(), bodies.end());
  CHECK(unique.size() == bodies.size());
  for (size_t i = 0; i < files; ++i) {
    if (!unique.count(name(i) + "-1") || !unique.count(name(i) + "-2") || (i % 10 == 0 && !unique.count(name(i) + "-3"))) {
      FAIL("lines of " << name(i) << " are missing");
    }
  }
  // Every file's checkpoint is at its end.
  Result<CheckpointSet> set = CheckpointStore::parse(readFile(env.dir.file("state/checkpoints/files.checkpoint")));
  REQUIRE(set.ok());
  CHECK(set->files.size() == files);
  size_t at_end = 0;
  for (const FileCheckpoint& c : set->files) at_end += c.offset == std::filesystem::file_size(c.path) ? 1 : 0;
  CHECK(at_end == files);
}

TEST_CASE("tail: the soft descriptor limit is raised to the hard limit at start", "[e2e][tail]") {
  Env env;
  TestDrain drain(env.drainOptions());
  AgentProcess agent(limited(env, "256:4096", {"--config", env.config(drain)}));
  std::string limits;
  REQUIRE(waitFor(
      [&] {
        limits = readFile("/proc/" + std::to_string(agent.pid()) + "/limits");
        return limits.find("Max open files            4096                 4096") != std::string::npos;
      },
      30s));
  agent.closeStdin();
  CHECK(finish(agent) == 0);
}
