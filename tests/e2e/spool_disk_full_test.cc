// Issue 9: a full disk under the spool (a real 2 MiB tmpfs, in a private mount namespace) never needs an
// operator: delivered data gives its space back at once, no empty segment piles up, a start on a full disk runs
// and says so, and a damaged segment is replayed from quarantine without needing space.
#include <filesystem>
#include <thread>

#include "agent/buffer/spool_format.h"
#include "agent/formats/frame.h"
#include "tests/e2e/admin_e2e.h"
#include "tests/e2e/spool_e2e.h"
#include "tests/support/small_fs.h"

using namespace sluice;
using namespace sluice::e2e;
namespace fs = std::filesystem;

namespace {

// stdin -> the drain, state on the small filesystem, the API on an ephemeral port. buffer.disk is larger than
// the filesystem (3 MiB: segments of 768 KiB), so that it is the disk that fills, not the spool's budget.
std::string diskFullConfig(const Env& env, const TestDrain& drain, const std::string& state,
                           const std::string& shutdown = "20s") {
  return env.writeFile("sluice.yaml", "agent:\n  hostname: h\n  state_dir: " + state + "\n  shutdown_timeout: " +
                                          shutdown + "\napi:\n  listen: 127.0.0.1:0\nsources:\n  - name: app\n"
                                          "    type: stdin\nsinks:\n  - name: drain\n    type: logplex_https\n"
                                          "    url: " + drain.url() + "\n    tls: {ca_file: " + env.certs.ca_cert +
                                          "}\n    retry: {initial: 50ms, max: 500ms}\n"
                                          "    buffer: {memory: 8MiB, disk: 3MiB, mode: always}\n"
                                          "    batch: {max_bytes: 64KiB}\n");
}

struct SpoolFiles {
  std::vector<std::pair<std::string, uint64_t>> segments;  // name, size
  size_t empty = 0;
  uint64_t bytes = 0;
};

SpoolFiles spoolFiles(const SmallFs& small, const std::string& state) {
  SpoolFiles out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(small.outside(state + "/spool/drain"), ec)) {
    if (e.path().extension() != ".spl") continue;
    uint64_t size = fs::file_size(e.path(), ec);
    out.segments.emplace_back(e.path().filename().string(), size);
    out.empty += size == 0 ? 1 : 0;
    out.bytes += size;
  }
  std::sort(out.segments.begin(), out.segments.end());
  return out;
}

std::string describe(const SpoolFiles& f) {
  std::string s;
  for (const auto& [name, size] : f.segments) s += name + " " + std::to_string(size) + "; ";
  return s;
}

// Each run writes its stdout.txt and stderr.txt in a directory of its own.
AgentProcess::Options run(AgentProcess::Options o, const std::string& name, bool close_stdin = false) {
  o.dir += "/" + name;
  fs::create_directories(o.dir);
  o.close_stdin = close_stdin;
  return o;
}

// The state directory on a small filesystem of `bytes`, a drain that is down, and the options of an agent that
// runs inside the filesystem's namespace with that state directory (`shutdown`: its shutdown_timeout).
struct OnSmallDisk {
  OnSmallDisk(uint64_t bytes, const std::string& shutdown) : small(state, bytes, env.dir.path() + "/ns") {
    drain.goDown();
    if (small.ok()) opts = small.inside(env.agent({"--config", diskFullConfig(env, drain, state, shutdown)}));
  }
  Env env;
  const std::string state = env.dir.path() + "/state";
  SmallFs small;
  TestDrain drain{env.drainOptions()};
  AgentProcess::Options opts;
};

// The test's small disk as `disk` and its parts by name; where there is no private mount namespace, a warning and
// the end of the test.
#define ON_SMALL_DISK(bytes, shutdown)                                        \
  OnSmallDisk disk(bytes, shutdown);                                          \
  if (!disk.small.ok()) {                                                     \
    WARN("SKIPPED: no private mount namespace here: " << disk.small.why());  \
    return;                                                                   \
  }                                                                           \
  auto& [env, state, small, drain, opts] = disk

}  // namespace

TEST_CASE("a full disk: what is delivered gives its space back at once, no empty segment is left, and a restart "
          "sends nothing again",
          "[e2e][spool][disk_full]") {
  ON_SMALL_DISK(2 << 20, "20s");
  const std::string input = numberedLines(0, 40000, 100);  // ~6.5 MB framed: three times the disk
  {
    AgentProcess agent(run(opts, "first"));
    std::thread writer([&] { agent.write(input); });
    // A failed REQUIRE must not leave the writer blocked on a pipe that no one reads.
    auto stop = [&](void*) {
      if (writer.joinable()) {
        agent.signal(SIGKILL);
        writer.join();
      }
    };
    std::unique_ptr<void, decltype(stop)> guard(&writer, stop);
    // A write failed for lack of space (both before and after issue 9, Sluice logs strerror's words).
    REQUIRE(waitFor([&] { return agent.stderrText().find("No space left on device") != std::string::npos; }, 60s));
    CHECK(small.freeBytes() < 256 * 1024);
    CHECK(waitFor([&] { return agent.stderrText().find("the disk is full") != std::string::npos; }, 30s));
    const uint16_t port = apiPort(agent);
    CHECK(metric(port, "sluice_buffer_disk_full{component_id=\"drain\"") == 1);
    CHECK(metric(port, "sluice_component_errors_total{component_id=\"drain\"") >= 1);
    drain.comeUp();
    writer.join();
    REQUIRE(drain.waitForMessages(40000, 120s));
    // Everything is delivered: every segment is gone (or going) while the agent runs, and the disk is free.
    SpoolFiles files;
    CHECK(waitFor([&] { return (files = spoolFiles(small, state)).segments.empty(); }, 10s));
    INFO("segments left: " << describe(files));
    CHECK(files.empty == 0);
    CHECK(small.usedBytes() < 256 * 1024);
    CHECK(waitFor([&] { return metric(port, "sluice_buffer_disk_full{component_id=\"drain\"") == 0; }, 10s));
    agent.closeStdin();
    CHECK(finish(agent, 60s) == 0);
  }
  CHECK(missing(countBodies(drain), input) == 0);
  const size_t before = drain.messageCount();
  AgentProcess next(run(opts, "second", true));
  CHECK(finish(next, 60s) == 0);
  CHECK(next.stderrText().find("from an earlier run") == std::string::npos);
  CHECK(drain.messageCount() == before);
}

TEST_CASE("a start on a full disk runs, says so in the log and /metrics, and delivers the spool and new lines",
          "[e2e][spool][disk_full]") {
  ON_SMALL_DISK(2 << 20, "1s");
  const std::string spooled = numberedLines(0, 5000, 100);
  spoolOnly(run(opts, "first"), spooled);
  REQUIRE(!spoolFiles(small, state).segments.empty());
  // Something else fills the disk.
  REQUIRE(small.fill("filler"));
  drain.comeUp();
  const std::string fresh = numberedLines(5000, 5000, 100, "new");
  AgentProcess second(run(opts, "second"));
  const uint16_t port = apiPort(second);
  CHECK(second.stderrText().find("the disk holding its spool is full") != std::string::npos);
  CHECK(metric(port, "sluice_buffer_disk_full{component_id=\"drain\"") == 1);
  CHECK(metric(port, "sluice_component_errors_total{component_id=\"drain\",component_kind=\"sink\","
                     "component_type=\"logplex_https\",error_type=\"spool_no_space\"") >= 1);
  REQUIRE(second.write(fresh));
  REQUIRE(drain.waitForMessages(10000, 120s));
  second.closeStdin();
  CHECK(finish(second, 60s) == 0);
  auto seen = countBodies(drain);
  CHECK(missing(seen, spooled) == 0);
  CHECK(missing(seen, fresh) == 0);
}

TEST_CASE("a segment torn in the middle of the spool on a full disk: the start needs no space, replays its good "
          "records from quarantine, and counts only what was damaged",
          "[e2e][spool][disk_full]") {
  ON_SMALL_DISK(4 << 20, "1s");
  const std::string input = numberedLines(0, 12000, 100);  // ~2 MB framed: three segments of 768 KiB
  spoolOnly(run(opts, "first"), input);
  SpoolFiles files = spoolFiles(small, state);
  REQUIRE(files.segments.size() >= 3);
  // The middle segment loses the end of its third record, as a write cut short by a full disk would leave it.
  const std::string middle = small.outside(state + "/spool/drain/" + files.segments[1].first);
  std::string bytes = readFile(middle);
  auto scan = scanSegment(bytes);
  REQUIRE(scan.records.size() >= 4);
  const std::set<std::string> lost = recordLines(bytes, scan, 2);
  fs::resize_file(middle, scan.records[2].offset + kRecordHeader + 10);
  REQUIRE(small.fill("filler"));
  drain.comeUp();
  {
    AgentProcess second(run(opts, "second", true));
    CHECK(finish(second, 120s) == 1);  // the damaged records are a loss, and it says so; no exit 2
    std::string err = second.stderrText();
    CHECK(err.find(files.segments[1].first + ": a record cut short") != std::string::npos);
    CHECK(err.find("its 2 good records are replayed from there") != std::string::npos);
  }
  // Every good record arrived, those of the torn segment too, and exactly the damaged ones are missing.
  CHECK(lossOtherThan(countBodies(drain), input, lost) == "");
  // A third start: nothing is replayed again, the quarantined file stays for whoever examines it.
  const size_t before = drain.messageCount();
  AgentProcess third(run(opts, "third", true));
  CHECK(finish(third, 60s) == 0);
  CHECK(drain.messageCount() == before);
  CHECK(fs::exists(small.outside(state + "/spool/drain/quarantine")));
}
