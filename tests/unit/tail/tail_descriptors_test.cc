// The tail source with more files than it may hold open (max_open_files): files read to their end are closed
// while idle and reopened by identity when they grow or move.
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <set>

#include "agent/core/fd_limit.h"
#include "tests/support/files.h"
#include "tests/unit/tail/tail_fixture.h"

using namespace sluice;
using namespace sluice::plugins::tail;
using namespace std::chrono_literals;

namespace {

// Batches of up to 100 lines.
SinkSettings quickSink() {
  SinkSettings s = fastBatchSink();
  s.batch.max_messages = 100;
  return s;
}

struct Fixture : TailFilesFixture {
  explicit Fixture(size_t max_open) : TailFilesFixture(quickSink()) {
    options.poll_interval = 20ms;
    options.refresh_interval = 50ms;
    options.max_open_files = max_open;
  }
  uint64_t gauge(const char* name) {
    auto it = source->counters().gauges.find(name);
    return it == source->counters().gauges.end() ? 0 : it->second;
  }
  // a.log and b.log, a line each, read; a.log was read first and is the least recently active, so b.log holds
  // the one descriptor.
  void startOnTwoFiles() {
    append("a.log", "a-1\n");
    append("b.log", "b-1\n");
    start();
    REQUIRE(waitForBodies(2));
    REQUIRE(runLoopUntil(loop, [&] { return gauge("files_open") == 1; }, 5s));
  }
};

}  // namespace

TEST_CASE("with more files than max_open_files every file is read, and closed files are read again when they grow") {
  Fixture f(3);
  std::multiset<std::string> want;
  for (int i = 0; i < 20; ++i) {
    const std::string name = "f" + std::to_string(i) + ".log";
    f.append(name, name + "-1\n" + name + "-2\n");
    want.insert(name + "-1");
    want.insert(name + "-2");
  }
  f.start();
  CHECK(f.gauge("files_tracked") == 20);
  CHECK(f.gauge("files_open") <= 3);
  REQUIRE(f.waitForBodies(40));
  CHECK(f.gauge("files_open") <= 3);
  // Most are closed now; they grow, and are reopened (by inotify or the poll) and read in turn.
  for (int i = 0; i < 20; i += 2) {
    const std::string name = "f" + std::to_string(i) + ".log";
    f.append(name, name + "-3\n");
    want.insert(name + "-3");
  }
  REQUIRE(f.waitForBodies(50));
  f.runFor(100ms);
  CHECK(f.bodies() == want);
  CHECK(f.gauge("files_open") <= 3);
  CHECK(f.gauge("files_tracked") == 20);
  CHECK(f.source->counters().errors.count("closed_file_gone") == 0);
}

TEST_CASE("a file renamed while closed is found by its inode and read to its end before its successor") {
  Fixture f(1);
  f.startOnTwoFiles();
  f.append("a.log", "a-2\n");
  std::filesystem::rename(f.file("a.log"), f.file("a.log.1"));   // no longer matched by *.log
  f.append("a.log", "a-new-1\n");
  REQUIRE(f.waitForBodies(4));
  f.append("b.log", "b-2\n");
  REQUIRE(f.waitForBodies(5));
  CHECK(f.bodies() == std::multiset<std::string>{"a-1", "b-1", "a-2", "a-new-1", "b-2"});
  const auto b = f.sink.delivered();
  CHECK(std::find(b.begin(), b.end(), "a-2") < std::find(b.begin(), b.end(), "a-new-1"));
}

TEST_CASE("a file deleted while closed is let go, and a new file under its name is read from its start") {
  Fixture f(1);
  f.startOnTwoFiles();
  std::filesystem::remove(f.file("a.log"));
  REQUIRE(runLoopUntil(f.loop, [&] { return f.gauge("files_tracked") == 1; }, 5s));
  f.append("a.log", "a-again\n");
  REQUIRE(f.waitForBodies(3));
  CHECK(f.bodies() == std::multiset<std::string>{"a-1", "b-1", "a-again"});
  CHECK(f.source->counters().errors.count("closed_file_gone") == 0);  // it had been read to its end
}

TEST_CASE("descriptors a listener reserves are left free by the tail sources' budget") {
  FdBudget budget(FdBudget::forLimit(1024), true);
  CHECK(budget.limit() == 768);
  reserveDescriptors(512);  // the logplex input's connection cap at a limit of 1,024
  CHECK(budget.limit() == 256);
  for (int i = 0; i < 256; ++i) REQUIRE(budget.acquire());
  CHECK_FALSE(budget.acquire());  // no holder could close a file: ask again later
  releaseDescriptors(512);
  CHECK(budget.acquire());
  FdBudget fixed(100);
  reserveDescriptors(50);
  CHECK(fixed.limit() == 100);  // a budget of its own (tests) follows nothing
  releaseDescriptors(50);
}
