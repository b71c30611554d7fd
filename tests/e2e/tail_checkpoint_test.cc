#include <map>

#include "agent/sources/tail/checkpoint_store.h"
#include "tests/e2e/tail_e2e.h"

using namespace sluice;
using namespace sluice::e2e;

namespace {

uint64_t checkpointOffset(const std::string& path, const std::string& file) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  Result<CheckpointSet> set = CheckpointStore::parse(ss.str());
  REQUIRE(set.ok());
  for (const FileCheckpoint& f : set->files) {
    if (f.path == file) return f.offset;
  }
  FAIL("no checkpoint for " << file);
  return 0;
}

}  // namespace

TEST_CASE("tail: after kill -9 in the middle of a 500,000-line file every line arrives and only lines past the checkpoint come twice", "[e2e][tail]") {
  Env env;
  TestDrain drain(env.drainOptions());
  drain.setDelay(20ms);  // slow enough to be killed in the middle
  const size_t total = 500000, width = 29;  // 30 bytes with the newline
  const std::string log = env.dir.file("big.log");
  { LogWriter(log).write(numberedLines(0, total, width)); }
  std::string config = env.config(drain, "    max_in_flight: 4\n    batch:\n      max_messages: 1000\n", "",
                                  tailSource("[\"" + log + "\"]"));
  const std::string ckpt = env.dir.file("state/checkpoints/files.checkpoint");

  size_t first_run;
  {
    AgentProcess agent(env.agent({"--config", config}));
    REQUIRE(drain.waitForMessages(150000, 120s));
    agent.signal(SIGKILL);
    REQUIRE(agent.wait(10s) == 128 + SIGKILL);
    CHECK(agent.sanitizerReport().empty());
  }
  // Whatever the drain still had on the wire from the killed agent is in (or not) by now.
  std::this_thread::sleep_for(100ms);
  const std::vector<std::string> before = drain.bodies();
  first_run = before.size();
  const uint64_t offset = checkpointOffset(ckpt, log);
  INFO("first run delivered " << first_run << " lines; checkpoint at offset " << offset);
  REQUIRE(offset % (width + 1) == 0);  // always at a line boundary
  const size_t checkpointed = offset / (width + 1);
  CHECK(checkpointed > 0);
  // The guarantee: every line before the checkpoint was delivered.
  std::vector<int> seen(total, 0);
  size_t past_checkpoint = 0;
  for (const auto& b : before) {
    long i = lineIndex(b);
    if (i < 0) FAIL("unexpected line " << b);
    ++seen[static_cast<size_t>(i)];
    if (static_cast<size_t>(i) >= checkpointed) ++past_checkpoint;
  }
  size_t undelivered_before_checkpoint = 0;
  for (size_t i = 0; i < checkpointed; ++i) undelivered_before_checkpoint += seen[i] == 1 ? 0 : 1;
  REQUIRE(undelivered_before_checkpoint == 0);

  // The restart reads again from the checkpoint: what was delivered past it comes twice, nothing is missing.
  AgentProcess agent(env.agent({"--config", config}));
  REQUIRE(drain.waitForMessages(total + past_checkpoint, 180s));
  agent.signal(SIGTERM);
  CHECK(finish(agent) == 0);
  const std::vector<std::string> bodies = drain.bodies();
  CHECK(bodies.size() == total + past_checkpoint);
  std::vector<int> count(total, 0);
  for (const auto& b : bodies) {
    long i = lineIndex(b);
    if (i < 0) FAIL("unexpected line " << b);
    ++count[static_cast<size_t>(i)];
  }
  size_t missing = 0, dupes = 0, dupes_before_checkpoint = 0;
  for (size_t i = 0; i < total; ++i) {
    if (count[i] == 0) ++missing;
    if (count[i] > 1) {
      dupes += static_cast<size_t>(count[i] - 1);
      if (i < checkpointed) ++dupes_before_checkpoint;
    }
  }
  CHECK(missing == 0);
  CHECK(dupes_before_checkpoint == 0);
  INFO("duplicates: " << dupes);
  // Re-sent: the batches in flight (4 x 1000) and what was delivered since the last checkpoint write (100 ms at
  // this drain's pace: at most 4 x 1000 lines per 20 ms round trip).
  CHECK(dupes == past_checkpoint);
  CHECK(dupes <= 4 * 1000 + 2 * 20000);
}

TEST_CASE("tail: a corrupt checkpoint file is reported, moved aside, and reading restarts from start_at", "[e2e][tail]") {
  Env env;
  TestDrain drain(env.drainOptions());
  const std::string log = env.dir.file("app.log");
  { LogWriter(log).write(numberedLines(0, 10, 20)); }
  std::filesystem::create_directories(env.dir.file("state/checkpoints"));
  env.writeFile("state/checkpoints/files.checkpoint", "sluice-tail-checkpoints 1\nwritten_us garbage\n");
  AgentProcess agent(env.agent({"--config", env.config(drain, "", "", tailSource("[\"" + log + "\"]"))}));
  REQUIRE(drain.waitForMessages(10, 30s));
  agent.signal(SIGTERM);
  CHECK(finish(agent) == 0);
  CHECK(drain.messageCount() == 10);
  CHECK(agent.stderrText().find("is corrupt") != std::string::npos);
  bool aside = false;
  for (const auto& e : std::filesystem::directory_iterator(env.dir.file("state/checkpoints"))) {
    aside = aside || e.path().filename().string().rfind("files.checkpoint.corrupt-", 0) == 0;
  }
  CHECK(aside);
  CHECK(checkpointOffset(env.dir.file("state/checkpoints/files.checkpoint"), log) == 10 * 21);
}

TEST_CASE("tail: a restart resumes at the checkpoint, and a file rotated while Sluice was stopped is read to its end", "[e2e][tail]") {
  Env env;
  TestDrain drain(env.drainOptions());
  std::filesystem::create_directories(env.dir.file("logs"));
  const std::string log = env.dir.file("logs/app.log");
  auto writer = std::make_unique<LogWriter>(log);
  writer->write("before the first start: skipped (start_at: end)\n");
  std::string config = env.config(drain, "", "", tailSource("[\"" + log + "\"]", "", "end"));
  const std::string ckpt = env.dir.file("state/checkpoints/files.checkpoint");
  {
    AgentProcess agent(env.agent({"--config", config}));
    REQUIRE(waitFor([&] { return std::filesystem::exists(ckpt); }, 30s));
    writer->write(numberedLines(0, 1000, 20));
    REQUIRE(drain.waitForMessages(1000, 30s));
    agent.signal(SIGTERM);
    CHECK(finish(agent) == 0);
  }
  // While Sluice is stopped: more lines, a rotation, lines in the new file (read from its start: it is new, whatever
  // start_at says).
  writer->write(numberedLines(1000, 500, 20));
  writer->rotateByRename(log + ".1");
  writer->write(numberedLines(1500, 500, 20));
  AgentProcess agent(env.agent({"--config", config}));
  REQUIRE(drain.waitForMessages(2000, 30s));
  agent.signal(SIGTERM);
  CHECK(finish(agent) == 0);
  CHECK(firstDifference(drain.bodies(), splitLines(numberedLines(0, 2000, 20))) == "");
}
