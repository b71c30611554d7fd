#include <set>

#include "tests/e2e/tail_e2e.h"

using namespace sluice;
using namespace sluice::e2e;

TEST_CASE("tail: 200,000 lines across renames every 20,000 lines and a copytruncate arrive once and in order", "[e2e][tail]") {
  Env env;
  TestDrain drain(env.drainOptions());
  const std::string log = appLog(env);
  LogWriter writer(log);
  std::string config = env.config(drain, "    max_in_flight: 1\n", "", tailSource("[\"" + log + "\"]"));
  AgentProcess agent(env.agent({"--config", config}));

  const size_t total = 200000, per_file = 20000, chunk = 1000;
  std::string all;
  int rotation = 0;
  for (size_t i = 0; i < total; i += chunk) {
    if (i > 0 && i % per_file == 0) {
      writer.rotateByRename(log + "." + std::to_string(++rotation));
    } else if (i == 110000) {
      // What copytruncate loses is what the agent had not read when the copy was made: wait until it has read
      // everything, so that every line must arrive.
      REQUIRE(drain.waitForMessages(i, 60s));
      writer.copyTruncate(log + ".copy");
    }
    std::string lines = numberedLines(i, chunk, 40);
    writer.write(lines);
    all += lines;
    // A file renamed away before the agent ever opened it cannot be followed by anyone: let it see each new file.
    if (i % per_file == 0) REQUIRE(drain.waitForMessages(i + 1, 60s));
  }
  REQUIRE(drain.waitForMessages(total, 120s));
  CHECK(terminateAndFinish(agent) == 0);
  CHECK(drain.protocolErrors().empty());
  CHECK(firstDifference(drain.bodies(), splitLines(all)) == "");
  std::string err = agent.stderrText();
  CHECK(err.find("was truncated") != std::string::npos);
  CHECK(err.find("1 truncation)") != std::string::npos);
  // Every message is named after the file.
  CHECK(drain.messages().front().find(" test-host SECRET app.log - - line-00000000") != std::string::npos);
}

TEST_CASE("tail: a file deleted while open is read to its end, and a new file under its name from its start", "[e2e][tail]") {
  Env env;
  TestDrain drain(env.drainOptions());
  const std::string log = appLog(env);
  auto writer = std::make_unique<LogWriter>(log);
  writer->write(numberedLines(0, 100, 20));
  // A deleted file is kept for a poll interval after its end, for a writer's last lines: 1 s here, so that the test's
  // write after the unlink lands well within it.
  AgentProcess agent(
      env.agent({"--config", env.config(drain, "", "", tailSource("[\"" + log + "\"]", "", "beginning", "1s"))}));
  REQUIRE(drain.waitForMessages(100, 30s));
  REQUIRE(::unlink(log.c_str()) == 0);
  writer->write(numberedLines(100, 100, 20));  // still written to the deleted file
  REQUIRE(drain.waitForMessages(200, 30s));
  writer.reset();
  LogWriter fresh(log);
  fresh.write(numberedLines(200, 100, 20));
  checkAllDelivered(agent, drain, 300, 20);
}

TEST_CASE("tail: a last line without a newline waits for partial_flush, then is sent", "[e2e][tail]") {
  Env env;
  TestDrain drain(env.drainOptions());
  const std::string log = env.dir.file("app.log");
  LogWriter writer(log);
  writer.write("complete\nhalf a li");
  AgentProcess agent(
      env.agent({"--config", env.config(drain, "", "", tailSource("[\"" + log + "\"]", "    partial_flush: 1s\n"))}));
  REQUIRE(drain.waitForMessages(1, 30s));
  writer.write("ne\n");  // completes it: the agent holds it for a second
  REQUIRE(drain.waitForMessages(2, 30s));
  const auto before_flush = std::chrono::steady_clock::now();
  writer.write("no newline at all");
  REQUIRE(waitFor(
      [&] {
        auto b = drain.bodies();
        return !b.empty() && b.back() == "no newline at all";
      },
      30s));
  CHECK(std::chrono::steady_clock::now() - before_flush >= 900ms);  // not before partial_flush
  CHECK(terminateAndFinish(agent) == 0);
  auto bodies = drain.bodies();
  // On a machine too slow to write "ne" within the second, the flush sends "half a li" and then "ne": never a
  // loss either way.
  std::vector<std::string> joined{"complete", "half a line", "no newline at all"};
  std::vector<std::string> flushed{"complete", "half a li", "ne", "no newline at all"};
  CHECK((bodies == joined || bodies == flushed));
}

TEST_CASE("tail: files appearing later are read from their start and exclude_paths is honoured", "[e2e][tail]") {
  Env env;
  TestDrain drain(env.drainOptions());
  std::filesystem::create_directories(env.dir.file("logs"));
  env.writeFile("logs/old.log", "old line, before the start\n");
  std::string source = "  - name: files\n    type: tail\n    paths: [\"" + env.dir.file("logs") +
                       "/*.log\"]\n    exclude_paths: [\"*.skip.log\"]\n    start_at: end\n"
                       "    refresh_interval: 200ms\n    poll_interval: 100ms\n";
  AgentProcess agent(env.agent({"--config", env.config(drain, "", "", source)}));
  REQUIRE(waitFor([&] { return std::filesystem::exists(env.dir.file("state/checkpoints/files.checkpoint")); }, 30s));
  { LogWriter(env.dir.file("logs/old.log")).write("old line, after the start\n"); }
  { LogWriter(env.dir.file("logs/x.skip.log")).write("excluded\n"); }
  { LogWriter(env.dir.file("logs/new.log")).write("new 1\nnew 2\n"); }
  REQUIRE(drain.waitForMessages(3, 30s));
  CHECK(terminateAndFinish(agent) == 0);
  auto bodies = drain.bodies();
  std::multiset<std::string> got(bodies.begin(), bodies.end());
  CHECK(got == std::multiset<std::string>{"old line, after the start", "new 1", "new 2"});
}

TEST_CASE("tail: a rotated file that the globs still match under its new name is not read again", "[e2e][tail]") {
  Env env;
  TestDrain drain(env.drainOptions());
  const std::string log = appLog(env);
  LogWriter writer(log);
  writer.write(numberedLines(0, 100, 20));
  AgentProcess agent(env.agent({"--config", env.config(drain, "", "", tailSource("[\"" + log + "*\"]"))}));
  REQUIRE(drain.waitForMessages(100, 30s));
  writer.rotateByRename(log + ".1");
  writer.write(numberedLines(100, 100, 20));
  REQUIRE(drain.waitForMessages(200, 30s));
  // Until a scan has seen app.log.1 under its new name and the checkpoint says so.
  const std::string ckpt = env.dir.file("state/checkpoints/files.checkpoint");
  REQUIRE(waitFor([&] { return readFile(ckpt).find("/app.log.1 ") != std::string::npos; }, 30s));
  CHECK(terminateAndFinish(agent) == 0);
  CHECK(firstDifference(drain.bodies(), splitLines(numberedLines(0, 200, 20))) == "");
}

TEST_CASE("tail: a symlink pointed at another file is followed there within 30 poll intervals, without a glob scan",
          "[e2e][tail]") {
  Env env;
  TestDrain drain(env.drainOptions());
  const std::string first = appLog(env), second = env.dir.file("logs/next.log");
  { LogWriter(first).write(numberedLines(0, 10, 20)); }
  { LogWriter(second).write(numberedLines(10, 10, 20)); }
  std::filesystem::create_directories(env.dir.file("links"));
  const std::string link = env.dir.file("links/app.log");
  std::filesystem::create_symlink(first, link);
  // The globs are expanded once an hour: only the poll's close look at the watched file can see the new target
  // (the old file has no event to give: it did not change).
  const std::string source = "  - name: files\n    type: tail\n    paths: [\"" + link +
                             "\"]\n    start_at: beginning\n    poll_interval: 100ms\n    refresh_interval: 1h\n";
  AgentProcess agent(env.agent({"--config", env.config(drain, "", "", source)}));
  REQUIRE(drain.waitForMessages(10, 30s));
  std::filesystem::create_symlink(second, env.dir.file("links/app.log.new"));
  std::filesystem::rename(env.dir.file("links/app.log.new"), link);
  checkAllDelivered(agent, drain, 20, 20);
}
