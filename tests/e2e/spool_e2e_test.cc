// Issue 4 end to end: outages, crashes, full spools, shutdown with a slow drain, damaged spools.
#include <fcntl.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <regex>
#include <thread>

#include "agent/buffer/spool_format.h"
#include "agent/formats/frame.h"
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
  AgentProcess agent(env.agent({"--config", spoolConfig(env, drain, "{memory: 4MiB, disk: 512MiB}")}));
  auto start = std::chrono::steady_clock::now();
  // After the first 100,000 lines every buffer in memory is as full as it gets (the batches, the admin API's
  // ring): the 400,000 that follow (about 48 MB framed) must go to disk, not to memory.
  REQUIRE(agent.write(first));
  REQUIRE(waitFor([&] { return agent.stderrText().find("delivery failed") != std::string::npos; }, 30s));
  std::this_thread::sleep_for(1s);  // scenario time: let the first lines settle into the spool
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
    writer.hold();
    first.signal(SIGKILL);
    REQUIRE(first.wait(30s).has_value());
    int remaining = 0;
    REQUIRE(ioctl(writer.read_fd, FIONREAD, &remaining) == 0);
    consumed = writer.written() - static_cast<size_t>(remaining);
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
  std::string config = spoolConfig(env, drain, "{memory: 256KiB, disk: 1MiB, when_full: block}\n    batch: {max_bytes: 64KiB}");
  AgentProcess agent(env.agent({"--config", config}));
  std::atomic<bool> wrote_all{false};
  std::thread writer([&] {
    CHECK(agent.write(input));
    wrote_all = true;
  });
  // Blocked: after the buffers filled, the writer makes no progress while the drain is down.
  std::this_thread::sleep_for(3s);  // scenario time: long enough to fill every buffer
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
    REQUIRE(std::regex_search(err, m, std::regex("sink drain: (\\d+) messages delivered, (\\d+) NOT delivered \\((\\d+) buffer_full\\)")));
    uint64_t dropped = std::stoull(m[2].str());
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
    agent.signal(SIGTERM);
    CHECK(finish(agent, 30s) == 0);
    CHECK(agent.stderrText().find("NOT delivered") == std::string::npos);
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
  {
    AgentProcess agent(env.agent({"--config", config}));
    REQUIRE(agent.write(input));
    agent.closeStdin();
    CHECK(finish(agent, 60s) == 0);  // all of it spooled, none delivered
  }
  std::vector<std::string> segs;
  for (const auto& e : fs::directory_iterator(env.dir.path() + "/state/spool/drain")) {
    if (e.path().extension() == ".spl") segs.push_back(e.path().string());
  }
  std::sort(segs.begin(), segs.end());
  REQUIRE(segs.size() >= 3);
  // The lines of the records that will be skipped, read from the segments before they are damaged.
  std::set<std::string> lost;
  auto collect = [&](const std::string& bytes, size_t from_record) {
    auto scan = scanSegment(bytes);
    for (size_t r = from_record; r < scan.records.size(); ++r) {
      for (auto msg : Frames(std::string_view(bytes).substr(scan.records[r].offset + kRecordHeader, scan.records[r].len))) {
        lost.insert(std::string(syslogBody(msg)));
      }
    }
    return scan;
  };
  auto read = [](const std::string& p) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  };
  std::string a = read(segs[0]);
  auto scan_a = collect(a, 2);  // truncated inside its third record
  fs::resize_file(segs[0], scan_a.records[2].offset + kRecordHeader + 10);
  std::string b = read(segs[1]);
  auto scan_b = collect(b, 1);  // a bit flipped in its second record
  b[scan_b.records[1].offset + kRecordHeader + 5] ^= 0x04;
  std::ofstream(segs[1], std::ios::binary | std::ios::trunc) << b;

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
  auto seen = countBodies(drain);
  size_t delivered_lost = 0, missing_kept = 0;
  for (const auto& line : splitLines(input)) {
    bool skipped = lost.count(line) != 0;
    if (skipped && seen.count(line) != 0) ++delivered_lost;
    if (!skipped && seen.count(line) == 0) ++missing_kept;
  }
  CHECK(delivered_lost == 0);  // exactly the damaged records are missing...
  CHECK(missing_kept == 0);    // ...and everything else arrived
  CHECK(fs::exists(env.dir.path() + "/state/spool/drain/quarantine"));
}
