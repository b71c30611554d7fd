#include <algorithm>
#include <atomic>
#include <map>
#include <thread>

#include "plugins/tail/ack_journal.h"
#include "plugins/tail/checkpoint_store.h"
#include "tests/e2e/tail_e2e.h"

using namespace sluice;
using namespace sluice::plugins::tail;
using namespace sluice::e2e;

namespace {

uint64_t checkpointOffset(const std::string& path, const std::string& file) {
  Result<CheckpointSet> set = CheckpointStore::parse(readFile(path));
  REQUIRE(set.ok());
  for (const FileCheckpoint& f : set->files) {
    if (f.path == file) return f.offset;
  }
  FAIL("no checkpoint for " << file);
  return 0;
}

// Where a start resumes `file`: its checkpoint, moved on by the ack journal's newer records.
uint64_t acknowledgedOffset(const std::string& ckpt, const std::string& file) {
  Result<CheckpointSet> set = CheckpointStore::parse(readFile(ckpt));
  REQUIRE(set.ok());
  const FileCheckpoint* c = nullptr;
  for (const FileCheckpoint& f : set->files) {
    if (f.path == file) c = &f;
  }
  REQUIRE(c != nullptr);
  uint64_t offset = c->offset;
  const std::string journal = ckpt.substr(0, ckpt.size() - std::string(".checkpoint").size()) + ".journal";
  for (const JournalRecord& r : AckJournal::parse(readFile(journal), set->journal_seq)) {
    if (r.key() == c->key) offset = r.offset;
  }
  return offset;
}

// Of the numbered lines 0 .. total-1, how many the drain has not seen and how many extra copies it has.
struct Tally {
  size_t missing = 0, dupes = 0;
};
Tally tally(const TestDrain& drain, size_t total) {
  Tally t;
  for (int c : lineCounts(drain.bodies(), total)) {
    if (c == 0) ++t.missing;
    if (c > 1) t.dupes += static_cast<size_t>(c - 1);
  }
  return t;
}

bool waitForAll(const TestDrain& drain, size_t total, std::chrono::milliseconds deadline) {
  return waitFor([&] { return tally(drain, total).missing == 0; }, deadline);
}

// Every one of the `total` lines arrived, and no more than `bound` came twice; the number of duplicates.
size_t checkAllArrived(const TestDrain& drain, size_t total, size_t bound) {
  const Tally got = tally(drain, total);
  INFO("duplicates: " << got.dupes);
  CHECK(got.missing == 0);
  CHECK(got.dupes <= bound);
  return got.dupes;
}

}  // namespace

// The bound: what a crash sends again is the batches that were in flight (max_in_flight x max_messages), because
// every acknowledgement is written to the ack journal as it comes (one pwrite), not at the next checkpoint write;
// plus one batch when an answer came before that of an older batch still in flight (the offset is a prefix: that
// batch is delivered past it) or in the loop turn of the kill, before its acknowledgement was journaled; plus,
// when batches closed early (linger while the source waited) so that they no longer line up with the source's
// acknowledgement entries of 100 lines, at most 99 lines of the entry that straddles the last batch delivered.
constexpr size_t kInFlightBound = (4 + 1) * 1000 + 99;
TEST_CASE("tail: after kill -9 in the middle of a 500,000-line file every line arrives and only the batches in flight come twice", "[e2e][tail]") {
  Env env;
  TestDrain drain(env.drainOptions());
  drain.setDelay(20ms);  // slow enough to be killed in the middle
  const size_t total = 500000, width = 29;  // 30 bytes with the newline
  const std::string log = env.dir.file("big.log");
  { LogWriter(log).write(numberedLines(0, total, width)); }
  std::string config = env.config(drain, "    max_in_flight: 4\n    batch:\n      max_messages: 1000\n", "",
                                  tailSource("[\"" + log + "\"]"));
  const std::string ckpt = env.dir.file("state/checkpoints/files.checkpoint");

  {
    AgentProcess agent(env.agent({"--config", config}));
    REQUIRE(drain.waitForMessages(150000, 120s));
    killNine(agent);
  }
  // The drain is done with the killed agent: its connections closed (after what they still held was read) and
  // every request that arrived answered.
  REQUIRE(waitFor([&] { return drain.openConnections() == 0 && drain.requests().size() == drain.requestsArrived(); },
                  10s));
  const std::vector<std::string> before = drain.bodies();
  const uint64_t offset = acknowledgedOffset(ckpt, log);
  INFO("first run delivered " << before.size() << " lines; acknowledged up to offset " << offset
                              << " (checkpoint file: " << checkpointOffset(ckpt, log) << ")");
  REQUIRE(offset % (width + 1) == 0);  // always at a line boundary
  const size_t acknowledged = offset / (width + 1);
  CHECK(acknowledged > 0);
  // The guarantee: every line before the acknowledged position was delivered.
  std::vector<int> seen = lineCounts(before, total);
  size_t past = 0, undelivered_before = 0;
  for (size_t i = 0; i < total; ++i) {
    if (i < acknowledged && seen[i] != 1) ++undelivered_before;
    if (i >= acknowledged) past += static_cast<size_t>(seen[i]);
  }
  REQUIRE(undelivered_before == 0);

  // The restart reads again from there: what was delivered past it comes twice, nothing is missing.
  AgentProcess agent(env.agent({"--config", config}));
  REQUIRE(drain.waitForMessages(total + past, 180s));
  CHECK(terminateAndFinish(agent) == 0);
  const std::vector<std::string> bodies = drain.bodies();
  CHECK(bodies.size() == total + past);
  std::vector<int> count = lineCounts(bodies, total);
  size_t missing = 0, dupes = 0, dupes_before = 0;
  for (size_t i = 0; i < total; ++i) {
    if (count[i] == 0) ++missing;
    if (count[i] > 1) {
      dupes += static_cast<size_t>(count[i] - 1);
      if (i < acknowledged) ++dupes_before;
    }
  }
  CHECK(missing == 0);
  CHECK(dupes_before == 0);
  INFO("duplicates: " << dupes);
  CHECK(dupes == past);
  CHECK(dupes <= kInFlightBound);
}

TEST_CASE("tail: a file growing at 40,000 lines/s, kill -9 in the middle and a restart: nothing lost, duplicates within the batches in flight", "[e2e][tail]") {
  Env env;
  TestDrain drain(env.drainOptions());
  drain.setDelay(20ms);
  const size_t total = 200000, width = 29, per_tick = 400;  // 400 lines every 10 ms
  const std::string log = env.dir.file("growing.log");
  // checkpoint_interval at its default (1s): before the ack journal, a kill sent a second's worth again.
  std::string source = "  - name: files\n    type: tail\n    paths: [\"" + log + "\"]\n    start_at: beginning\n"
                       "    poll_interval: 100ms\n";
  std::string config = env.config(drain, "    max_in_flight: 4\n    batch:\n      max_messages: 1000\n", "", source);
  const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  REQUIRE(fd >= 0);
  std::atomic<size_t> written{0};
  std::atomic<bool> stop{false};
  std::thread producer([&] {
    auto next = std::chrono::steady_clock::now();
    while (!stop && written < total) {
      size_t n = std::min(per_tick, total - written.load());
      const std::string lines = numberedLines(written, n, width);
      for (std::string_view rest = lines; !rest.empty();) {  // no REQUIRE off the test's thread
        ssize_t w = ::write(fd, rest.data(), rest.size());
        if (w <= 0) return;
        rest.remove_prefix(static_cast<size_t>(w));
      }
      written += n;
      next += 10ms;
      std::this_thread::sleep_until(next);
    }
  });
  struct Join {
    std::thread& t;
    std::atomic<bool>& stop;
    int fd;
    ~Join() {
      stop = true;
      if (t.joinable()) t.join();
      ::close(fd);
    }
  } join{producer, stop, fd};

  {
    AgentProcess agent(env.agent({"--config", config}));
    REQUIRE(drain.waitForMessages(60000, 120s));
    killNine(agent);
  }
  const size_t first_run = drain.messageCount();
  AgentProcess agent(env.agent({"--config", config}));
  REQUIRE(waitFor([&] { return written == total; }, 60s));
  REQUIRE(waitForAll(drain, total, 120s));
  CHECK(terminateAndFinish(agent) == 0);
  INFO("first run delivered " << first_run);
  checkAllArrived(drain, total, kInFlightBound);
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
  CHECK(terminateAndFinish(agent) == 0);
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
  const std::string log = appLog(env);
  auto writer = std::make_unique<LogWriter>(log);
  writer->write("before the first start: skipped (start_at: end)\n");
  std::string config = env.config(drain, "", "", tailSource("[\"" + log + "\"]", "", "end"));
  const std::string ckpt = env.dir.file("state/checkpoints/files.checkpoint");
  {
    AgentProcess agent(env.agent({"--config", config}));
    REQUIRE(waitFor([&] { return std::filesystem::exists(ckpt); }, 30s));
    writer->write(numberedLines(0, 1000, 20));
    REQUIRE(drain.waitForMessages(1000, 30s));
    CHECK(terminateAndFinish(agent) == 0);
  }
  // While Sluice is stopped: more lines, a rotation, lines in the new file (read from its start: it is new, whatever
  // start_at says).
  writer->write(numberedLines(1000, 500, 20));
  writer->rotateByRename(log + ".1");
  writer->write(numberedLines(1500, 500, 20));
  AgentProcess agent(env.agent({"--config", config}));
  checkAllDelivered(agent, drain, 2000, 20);
}

// The issue's own scenario: before the spool's ack slots and the tail's ack journal, a kill -9 here sent 391,000
// lines twice (the spool replayed from an ack cursor never made durable, and the tail read again from its checkpoint).
TEST_CASE("tail: always mode, 30% 503s, kill -9 and a restart: nothing lost, duplicates within the batches in flight", "[e2e][tail][spool]") {
  Env env;
  TestDrain drain(env.drainOptions());
  drain.failRandomly(0.3, 503);
  const size_t total = 200000, width = 59;
  const std::string log = env.dir.file("app.log");
  { LogWriter(log).write(numberedLines(0, total, width)); }
  std::string config = env.config(drain,
                                  "    max_in_flight: 4\n    batch:\n      max_messages: 1000\n"
                                  "    buffer: {memory: 8MiB, disk: 256MiB, mode: always, sync: batch}\n",
                                  "", tailSource("[\"" + log + "\"]", "", "beginning", "100ms"));
  size_t first_run = 0;
  {
    AgentProcess agent(env.agent({"--config", config}));
    REQUIRE(drain.waitForMessages(total * 4 / 5, 180s));
    killNine(agent);
    first_run = drain.messageCount();
  }
  REQUIRE(first_run < total);
  AgentProcess agent(env.agent({"--config", config}));
  REQUIRE(waitForAll(drain, total, 180s));
  CHECK(terminateAndFinish(agent) == 0);
  INFO("first run delivered " << first_run);
  const size_t dupes = checkAllArrived(drain, total, kInFlightBound);
  WARN("tail + always + 30% 503 + kill -9: " << dupes << " duplicates after " << first_run << " delivered");
}

// A reload that changes a tail source replaces it. The old one is freed only once the batches holding its
// acknowledgements are resolved (freeing it earlier was a use-after-free), and the replacement starts after that,
// from a checkpoint that covers everything delivered: the two never share a checkpoint and journal, and nothing is
// read twice.
TEST_CASE("tail: ten reloads that change the source while a file is read: nothing lost, duplicates within the batches in flight per reload", "[e2e][tail][reload]") {
  Env env;
  TestDrain drain(env.drainOptions());
  drain.setDelay(5ms);
  const size_t total = 200000, width = 29;
  const std::string log = env.dir.file("app.log");
  { LogWriter(log).write(numberedLines(0, total, width)); }
  auto configWith = [&](const std::string& poll) {
    return env.config(drain, "    max_in_flight: 4\n    batch:\n      max_messages: 1000\n", "",
                      tailSource("[\"" + log + "\"]", "", "beginning", poll));
  };
  const std::string config = configWith("100ms");
  AgentProcess agent(env.agent({"--config", config}));
  int reloads = 0;
  for (size_t want = 15000; reloads < 10 && want < total; want += 15000, ++reloads) {
    if (!drain.waitForMessages(want, 60s)) FAIL(agent.stderrText());
    configWith(reloads % 2 == 0 ? "150ms" : "100ms");  // rewrites the same file: the source changed
    agent.signal(SIGHUP);
  }
  REQUIRE(waitForAll(drain, total, 180s));
  CHECK(terminateAndFinish(agent) == 0);
  const std::string err = agent.stderrText();
  INFO("reloads: " << reloads);
  const size_t dupes = checkAllArrived(drain, total, static_cast<size_t>(reloads) * kInFlightBound);
  CHECK(err.find("corrupt") == std::string::npos);
  CHECK(err.find("moved aside") == std::string::npos);
  WARN("10 reloads of a tail source: " << dupes << " duplicates");
}

// A reload that changes a tail source while the drain is down: the old source's lines cannot be delivered, so it
// cannot write a last checkpoint that covers them. Rather than wait for the drain (the files unfollowed meanwhile), it
// hands over to its successor after a second, which resumes from the old one's last checkpoint. A file created and
// rotated twice after the reload is then in the successor's checkpoint, and a kill -9 loses none of it. Before,
// nobody followed the files until the drain came back, and the middle file was lost.
TEST_CASE("tail: a reload while the drain is down hands over to the new source: files rotated twice after it, a kill -9, every line arrives", "[e2e][tail][reload]") {
  Env env;
  TestDrain drain(env.drainOptions());
  drain.goDown();
  const size_t width = 29;
  const std::string log = env.dir.file("app.log");
  auto configWith = [&](const std::string& poll) {
    return env.config(drain, "", "", tailSource("[\"" + log + "\"]", "", "beginning", poll));
  };
  const std::string ckpt = env.dir.file("state/checkpoints/files.checkpoint");
  auto inCheckpoint = [&](const std::string& path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) return false;
    Result<CheckpointSet> set = CheckpointStore::parse(readFile(ckpt));
    if (!set.ok()) return false;
    return std::any_of(set->files.begin(), set->files.end(), [&](const FileCheckpoint& f) {
      return f.key.ino == static_cast<uint64_t>(st.st_ino);
    });
  };
  { LogWriter(log).write(numberedLines(0, 100, width)); }
  const std::string config = configWith("100ms");
  {
    AgentProcess agent(env.agent({"--config", config}));
    // The first file is read, its batch waits for the drain.
    REQUIRE(waitFor([&] { return agent.stderrText().find("drain") != std::string::npos && inCheckpoint(log); }, 20s));
    configWith("150ms");
    agent.signal(SIGHUP);
    REQUIRE(waitFor([&] { return agent.stderrText().find("reloaded") != std::string::npos; }, 20s));
    REQUIRE(std::rename(log.c_str(), (log + ".1").c_str()) == 0);
    { LogWriter(log).write(numberedLines(100, 100, width)); }
    if (!waitFor([&] { return inCheckpoint(log); }, 20s)) FAIL("the second file is not followed\n" << agent.stderrText());
    REQUIRE(std::rename((log + ".1").c_str(), (log + ".2").c_str()) == 0);
    REQUIRE(std::rename(log.c_str(), (log + ".1").c_str()) == 0);
    { LogWriter(log).write(numberedLines(200, 100, width)); }
    CHECK(agent.stderrText().find("handed over to its successor") != std::string::npos);
    agent.signal(SIGKILL);
    (void)agent.wait(10s);
  }
  drain.comeUp();
  AgentProcess agent(env.agent({"--config", config}));
  REQUIRE(waitForAll(drain, 300, 60s));
  CHECK(terminateAndFinish(agent) == 0);
  checkAllArrived(drain, 300, 300);
}
