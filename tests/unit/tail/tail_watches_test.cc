// The tail source's inotify watches (file_watches.h): events read in rounds at most once per read_interval, a
// write read together with the bytes before it (a copytruncate between two rounds is caught), and a kernel queue
// that overflowed.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>

#include "tests/support/files.h"
#include "tests/unit/tail/tail_fixture.h"

using namespace sluice;
using namespace sluice::plugins::tail;
using namespace std::chrono_literals;

namespace {

struct Fixture : TailFilesFixture {
  Fixture() : TailFilesFixture(fastBatchSink()) {
    // Only inotify tells about changes here: no poll, no glob scan comes to the rescue within a test.
    options.poll_interval = std::chrono::hours(1);
    options.refresh_interval = std::chrono::hours(1);
  }
};

}  // namespace

TEST_CASE("a write soon after a read waits for read_interval, and a write after a quiet spell is read at once") {
  Fixture f;
  f.options.read_interval = 1500ms;
  f.append("a.log", "a-1\n");
  f.start();
  REQUIRE(f.waitForBodies(1));
  // The first event: no round ran yet, so it is read at once.
  f.append("a.log", "a-2\n");
  REQUIRE(f.waitForBodies(2, 1000ms));
  // That round was just now: this write waits for the next one, read_interval after it.
  f.append("a.log", "a-3\n");
  f.runFor(500ms);
  CHECK(f.sink.delivered().size() == 2);
  REQUIRE(f.waitForBodies(3, 5s));
  // Quiet for longer than read_interval: read at once.
  f.runFor(1600ms);
  f.append("a.log", "a-4\n");
  CHECK(f.waitForBodies(4, 1000ms));
  CHECK(f.bodies() == std::multiset<std::string>{"a-1", "a-2", "a-3", "a-4"});
}

TEST_CASE("with read_interval 0 every write is read at once") {
  Fixture f;
  f.options.read_interval = 0ms;
  f.append("a.log", "a-1\n");
  f.start();
  REQUIRE(f.waitForBodies(1));
  for (size_t i = 2; i <= 4; ++i) {
    f.append("a.log", "a-" + std::to_string(i) + "\n");
    REQUIRE(f.waitForBodies(i, 1000ms));
  }
}

TEST_CASE("a file truncated and written again past the offset between two rounds is read again from its start") {
  Fixture f;
  f.options.read_interval = 500ms;
  std::string first;
  for (int i = 0; i < 10; ++i) first += "old line " + std::to_string(i) + " of the first content\n";
  f.append("a.log", first);
  f.start();
  REQUIRE(f.waitForBodies(10));
  // copytruncate under a busy writer: by the next round the file is longer than what was read, and other bytes
  // lie before the old offset. Read on from there, the new start would be lost and a line cut in two.
  REQUIRE(::truncate(f.file("a.log").c_str(), 0) == 0);
  std::string second;
  std::multiset<std::string> want = f.bodies();
  for (int i = 0; i < 12; ++i) {
    const std::string line = "NEW LINE " + std::to_string(i) + " OF THE SECOND CONTENT";
    second += line + "\n";
    want.insert(line);
  }
  f.append("a.log", second);
  REQUIRE(f.waitForBodies(22));
  f.runFor(100ms);
  CHECK(f.bodies() == want);
  const auto& errors = f.source->counters().errors;
  CHECK((errors.count("truncated") == 1 && errors.at("truncated") == 1));
}

TEST_CASE("when the kernel's inotify queue overflows, every file is looked at") {
  Fixture f;
  f.options.read_interval = 0ms;
  for (const char* name : {"a.log", "b.log", "c.log"}) f.append(name, std::string(name) + "-1\n");
  f.start();
  REQUIRE(f.waitForBodies(3));
  // While the loop does not run, more events than the queue holds: a and b in turn (the kernel merges an event
  // only with the one just before it), then c's one write, which finds the queue full.
  size_t queue = 16384;
  std::ifstream("/proc/sys/fs/inotify/max_queued_events") >> queue;
  {
    std::ofstream a(f.file("a.log"), std::ios::app);
    std::ofstream b(f.file("b.log"), std::ios::app);
    for (size_t i = 0; i < queue / 2 + 100; ++i) {
      a << "a\n" << std::flush;
      b << "b\n" << std::flush;
    }
  }
  f.append("c.log", "c-2\n");
  const size_t total = 3 + 2 * (queue / 2 + 100) + 1;
  REQUIRE(f.waitForBodies(total, 30s));
  CHECK(f.bodies().count("c-2") == 1);
}
