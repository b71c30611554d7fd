// Issue 4 end to end: outages, crashes, full spools, shutdown with a slow drain, damaged spools.
#include <atomic>
#include <filesystem>
#include <algorithm>
#include <regex>
#include <thread>

#include "agent/buffer/spool_format.h"
#include "agent/formats/frame.h"
#include "tests/e2e/admin_e2e.h"
#include "tests/e2e/spool_e2e.h"

using namespace sluice;
using namespace sluice::e2e;
namespace fs = std::filesystem;

TEST_CASE("a drain down for 15 s while 500,000 lines flow in: all arrive after it recovers, memory stays bounded",
          "[e2e][spool]") {
  Env env;
  TestDrain drain(env.drainOptions());
  drain.goDown();
  const std::string first = numberedLines(0, 100000, 40);
  const std::string rest = numberedLines(100000, 400000, 40);
  AgentProcess::Options options = env.agent({"--config", spoolConfig(env, drain, "{memory: 4MiB, disk: 512MiB}", kAgentWithApi)});
  options.measures_rss = true;
  AgentProcess agent(options);
  const uint16_t port = apiPort(agent);
  auto start = std::chrono::steady_clock::now();
  // After the first 100,000 lines every buffer in memory is as full as it gets (the batches, the admin API's
  // ring): the 400,000 that follow (about 48 MB framed) must go to disk, not to memory.
  REQUIRE(agent.write(first));
  REQUIRE(waitFor([&] { return agent.stderrText().find("delivery failed") != std::string::npos; }, 30s));
  // Settled: every line read, and the sink's memory full (within a batch of 1 MiB) with the rest in the spool.
  REQUIRE(waitFor(
      [&] {
        const double memory = metric(port, "sluice_buffer_bytes{component_id=\"drain\"");
        return metric(port, "sluice_component_received_events_total{component_id=\"app\"") == 100000 &&
               memory >= 3 << 20 && memory <= 4 << 20;
      },
      60s));
  const long baseline_kb = agent.samplePeakRssKb();
  std::thread writer([&] { REQUIRE(agent.write(rest)); });
  // The outage lasts 15 s (scenario time). The writer is never held up: the spool takes the backlog.
  while (std::chrono::steady_clock::now() - start < 15s) {
    agent.samplePeakRssKb();
    std::this_thread::sleep_for(50ms);
  }
  writer.join();
  const long outage_peak_kb = agent.samplePeakRssKb();
  CHECK(drain.messageCount() == 0);
  drain.comeUp();
  agent.closeStdin();
  CHECK(finish(agent, 180s) == 0);
  auto seen = countBodies(drain);
  CHECK(missing(seen, first + rest) == 0);
  CHECK(seen.size() == 500000);
  INFO("peak RSS " << baseline_kb << " KiB after 100,000 lines, " << outage_peak_kb << " KiB after 500,000");
  CHECK(outage_peak_kb - baseline_kb < 16 * 1024);
}

TEST_CASE("always: after kill -9 every line the agent took from the pipe is delivered, and the rest is still there",
          "[e2e][spool]") {
  Env env;
  TestDrain drain(env.drainOptions());
  const std::string input = numberedLines(0, 300000, 50);
  PipeWriter writer(input);
  std::string config = spoolConfig(env, drain, "{memory: 8MiB, disk: 256MiB, mode: always, sync: batch}");
  auto opts = env.agent({"--config", config});
  opts.stdin_fd = writer.read_fd;
  size_t consumed = 0;
  {
    AgentProcess first(opts);
    REQUIRE(drain.waitForMessages(50000, 60s));
    killWhileHeld(first, writer);
    consumed = writer.consumed();
  }
  // What left the pipe was acknowledged: whole lines only, every one of them in the spool.
  REQUIRE(consumed > 0);
  CHECK(input[consumed - 1] == '\n');
  const std::string acknowledged = input.substr(0, consumed);
  writer.resume();
  writer.closeWhenDone();
  AgentProcess second(opts);
  CHECK(finish(second, 180s) == 0);
  auto seen = countBodies(drain);
  CHECK(missing(seen, acknowledged) == 0);  // nothing acknowledged was lost to the crash
  CHECK(missing(seen, input) == 0);         // and what was not acknowledged was still in the pipe
  size_t duplicates = 0;
  for (const auto& [line, n] : seen) duplicates += static_cast<size_t>(n - 1);
  INFO("duplicates after the crash: " << duplicates);
  CHECK(duplicates < 300000 / 3);
}

TEST_CASE("block: with memory and spool full the writer is held on its pipe, and nothing is lost", "[e2e][spool]") {
  Env env;
  TestDrain drain(env.drainOptions());
  drain.goDown();
  const std::string input = numberedLines(0, 200000, 60);
  std::string config = spoolConfig(env, drain, "{memory: 256KiB, disk: 1MiB, when_full: block}\n    batch: {max_bytes: 64KiB}",
                                   kAgentWithApi);
  AgentProcess agent(env.agent({"--config", config}));
  const uint16_t port = apiPort(agent);
  std::atomic<bool> wrote_all{false};
  std::thread writer([&] {
    CHECK(agent.write(input));
    wrote_all = true;
  });
  // Full, as /metrics shows it: memory at its 256 KiB (within a batch of 64 KiB); at least as many messages held
  // as fill memory and the 1 MiB spool, 1.25 MiB, at 160 bytes a frame (a 60-byte line and a header of at most
  // 100): 8192; and the agent has read nothing for a second.
  double read = -1;
  auto last_read = std::chrono::steady_clock::now();
  REQUIRE(waitFor(
      [&] {
        const double now_read = metric(port, "sluice_component_received_events_total{component_id=\"app\"");
        if (now_read != read) {
          read = now_read;
          last_read = std::chrono::steady_clock::now();
        }
        return metric(port, "sluice_buffer_bytes{component_id=\"drain\"") >= 192 << 10 &&
               metric(port, "sluice_buffer_events{component_id=\"drain\"") >= 8192 &&
               std::chrono::steady_clock::now() - last_read >= 1s;
      },
      60s));
  // Held, not dropped: the rest of the input waits in the pipe, and the writer with it.
  CHECK(metric(port, "sluice_component_dropped_events_total{component_id=\"drain\"", {"reason=\"buffer_full\""}) == 0);
  CHECK(read < 200000);
  CHECK_FALSE(wrote_all.load());
  drain.comeUp();
  writer.join();
  agent.closeStdin();
  CHECK(finish(agent, 180s) == 0);
  CHECK(missing(countBodies(drain), input) == 0);
}

TEST_CASE("drop_newest and drop_oldest: the counts in the log and the in-band notices equal the real loss",
          "[e2e][spool]") {
  for (const char* policy : {"drop_newest", "drop_oldest"}) {
    Env env;
    TestDrain drain(env.drainOptions());
    drain.goDown();
    const size_t n = 60000;
    const std::string input = numberedLines(0, n, 60);
    std::string config = spoolConfig(env, drain, std::string("{memory: 256KiB, disk: 1MiB, when_full: ") + policy +
                                                     "}\n    batch: {max_bytes: 64KiB}");
    AgentProcess agent(env.agent({"--config", config}));
    REQUIRE(agent.write(input));  // never blocks: what does not fit is dropped
    drain.comeUp();
    agent.closeStdin();
    CHECK(finish(agent, 120s) == 1);
    size_t user = 0;
    uint64_t reported = 0;
    for (const auto& b : drain.bodies()) {
      if (b.rfind("sluice: ", 0) == 0) {
        reported += std::stoull(b.substr(8));
        CHECK(b.find(std::string("(buffer full, ") + policy + ")") != std::string::npos);
      } else {
        ++user;
      }
    }
    std::smatch m;
    std::string err = agent.stderrText();
    REQUIRE(std::regex_search(err, m, std::regex("sink drain: ([\\d,]+) messages? delivered, ([\\d,]+) messages? NOT "
                                                  "delivered: ([\\d,]+) messages? dropped \\(buffer full\\)")));
    std::string count = m[2].str();
    count.erase(std::remove(count.begin(), count.end(), ','), count.end());
    uint64_t dropped = std::stoull(count);
    INFO(policy << ": delivered " << user << ", dropped " << dropped << ", reported in-band " << reported);
    CHECK(dropped > 0);
    CHECK(user + dropped == n);
    CHECK(reported == dropped);
  }
}

TEST_CASE("SIGTERM with a slow drain: what is queued is spooled, exit 0, and the next start delivers it",
          "[e2e][spool]") {
  Env env;
  TestDrain drain(env.drainOptions());
  drain.setDelay(3s);
  const std::string input = numberedLines(0, 20000, 50);
  std::string config =
      spoolConfig(env, drain, "{disk: 64MiB}\n    max_in_flight: 1", "  shutdown_timeout: 1s\n");
  {
    AgentProcess agent(env.agent({"--config", config}));
    REQUIRE(agent.write(input));
    REQUIRE(waitFor([&] { return drain.requestsArrived() >= 1; }, 30s));
    CHECK(terminateAndFinish(agent, 30s) == 0);
    const std::string err = agent.stderrText();
    CHECK(err.find("NOT delivered") == std::string::npos);
    // The exit summary tells delivered from spooled: the spooled lines are not "all delivered".
    CHECK(err.find("spooled for the next start, the rest delivered") != std::string::npos);
    CHECK(err.find("all delivered") == std::string::npos);
    // The shutdown said, once a second, what it was waiting for.
    CHECK(std::regex_search(err, std::regex("waiting for sink drain: [\\d,]+ messages?, \\d+(ms|s) left")));
  }
  drain.setDelay(0ms);
  auto opts = env.agent({"--config", config});
  opts.close_stdin = true;
  AgentProcess next(opts);
  CHECK(finish(next, 60s) == 0);
  CHECK(next.stderrText().find("from an earlier run") != std::string::npos);
  CHECK(missing(countBodies(drain), input) == 0);
}

TEST_CASE("a truncated and a bit-flipped spool segment: the agent starts, delivers the rest and says what it skipped",
          "[e2e][spool]") {
  Env env;
  TestDrain drain(env.drainOptions());
  drain.goDown();
  const std::string input = numberedLines(0, 12000, 60);  // ~1.4 MB framed: three segments of 512 KiB
  std::string config = spoolConfig(env, drain, "{disk: 2MiB, mode: always}\n    batch: {max_bytes: 64KiB}",
                                   "  shutdown_timeout: 1s\n");
  spoolOnly(env.agent({"--config", config}), input);
  const std::vector<std::string> segs = segmentPaths(env.dir.path() + "/state/spool/drain");
  REQUIRE(segs.size() >= 3);
  // The lines of the records that will be skipped, read from the segments before they are damaged.
  std::string a = readFile(segs[0]);
  auto scan_a = scanSegment(a);
  std::set<std::string> lost = recordLines(a, scan_a, 2);  // truncated inside its third record
  fs::resize_file(segs[0], scan_a.records[2].offset + kRecordHeader + 10);
  std::string b = readFile(segs[1]);
  auto scan_b = scanSegment(b);
  lost.merge(recordLines(b, scan_b, 1));  // a bit flipped in its second record
  b[scan_b.records[1].offset + kRecordHeader + 5] ^= 0x04;
  writeFile(segs[1], b);

  drain.comeUp();
  auto opts = env.agent({"--config", config});
  opts.close_stdin = true;
  AgentProcess next(opts);
  CHECK(finish(next, 60s) == 1);  // the skipped lines are a loss, and it says so
  std::string err = next.stderrText();
  CHECK(err.find(fs::path(segs[0]).filename().string() + ": a record cut short") != std::string::npos);
  CHECK(err.find(fs::path(segs[1]).filename().string() + ": a bad CRC") != std::string::npos);
  // The truncated segment shows one record cut short (what followed it is gone from the file); the flipped one
  // loses the damaged record and every one after it in that segment.
  CHECK(err.find("a record cut short at offset " + std::to_string(scan_a.records[2].offset) + ": skipped 1 record (") !=
        std::string::npos);
  CHECK(err.find("skipped " + std::to_string(scan_b.records.size() - 1) + " records (" +
                 std::to_string(b.size() - scan_b.records[1].offset) + " bytes)") != std::string::npos);
  CHECK(lossOtherThan(countBodies(drain), input, lost) == "");  // exactly the damaged records are missing
  CHECK(fs::exists(env.dir.path() + "/state/spool/drain/quarantine"));
}
