// New files are found before the next scan (refresh_interval): a path without wildcards that names no file yet is
// looked at on every poll, and the directories of the patterns are watched for names created in them.
#include <catch2/catch.hpp>

#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "tests/unit/tail/tail_fixture.h"

using namespace sluice;
using namespace sluice::plugins::tail;
using namespace std::chrono_literals;

namespace {

// Follows `pattern` (under the fixture's logs/) with no scan during the test: new files are found only by watches.
void startWithoutScans(TailFilesFixture& t, const std::string& pattern) {
  t.options.paths = {t.file(pattern)};
  t.options.refresh_interval = std::chrono::hours(1);
  t.options.read_interval = 0ms;
  t.start();
  t.runFor(50ms);
}

}  // namespace

TEST_CASE("a file created at a path that matched nothing is read before the next scan, rotated or not") {
  TailFilesFixture t(fastBatchSink());
  t.options.paths = {t.file("app.log")};
  t.options.refresh_interval = std::chrono::hours(1);  // no scan during the test
  t.options.poll_interval = 20ms;
  t.start();
  t.runFor(50ms);
  t.append("app.log", "first 1\nfirst 2\n");
  REQUIRE(t.waitForBodies(2, 10s));
  // Rotated away (to a name that matches nothing), and a new file at the path: both are read to the end.
  t.append("app.log", "first 3\n");
  REQUIRE(std::rename(t.file("app.log").c_str(), t.file("app.log.1").c_str()) == 0);
  t.append("app.log", "second 1\n");
  REQUIRE(t.waitForBodies(4, 10s));
  CHECK(t.bodies() == std::multiset<std::string>{"first 1", "first 2", "first 3", "second 1"});
}

// A pattern with a wildcard: its directory is watched, so a new file is found as it appears, not at the next scan;
// read, and rotated to a name no pattern matches, it is read to its end, then its successor.
TEST_CASE("a new file a wildcard matches is found by its directory's watch before the next scan") {
  TailFilesFixture t(fastBatchSink());
  startWithoutScans(t, "*.log");
  t.append("api.log", "api 1\napi 2\n");
  REQUIRE(t.waitForBodies(2, 10s));
  t.append("api.log", "api 3\n");
  REQUIRE(std::rename(t.file("api.log").c_str(), t.file("api.log.1").c_str()) == 0);
  t.append("api.log", "api again 1\n");
  // A name moved into the directory is new too.
  const std::string outside = t.dir.file("web.tmp");
  appendFile(outside, "web 1\n");
  REQUIRE(std::rename(outside.c_str(), t.file("web.log").c_str()) == 0);
  REQUIRE(t.waitForBodies(5, 10s));
  CHECK(t.bodies() == std::multiset<std::string>{"api 1", "api 2", "api 3", "api again 1", "web 1"});
}

TEST_CASE("a new file under a pattern with braces is found by its directory's watch too") {
  TailFilesFixture t(fastBatchSink());
  startWithoutScans(t, "{api,web}.log");
  t.append("other.txt", "not matched\n");
  t.append("web.log", "web 1\n");
  REQUIRE(t.waitForBodies(1, 10s));
  t.runFor(100ms);
  CHECK(t.bodies() == std::multiset<std::string>{"web 1"});
}

// Rotations faster than the rounds of change events: the directory's events are read at once, so each new file is
// opened as it appears, and one rotated away before the next round is still read (after the file before it).
TEST_CASE("files rotated faster than read_interval are each read, in order, without waiting for a round") {
  TailFilesFixture t(fastBatchSink());
  t.options.paths = {t.file("app.log")};
  t.options.refresh_interval = std::chrono::hours(1);  // no scan,
  t.options.poll_interval = std::chrono::hours(1);     // no poll,
  t.options.read_interval = 10s;                       // and no second round during the test
  t.start();
  t.runFor(50ms);
  t.append("app.log", "a 1\n");
  REQUIRE(t.waitForBodies(1, 10s));  // the first round (after a quiet spell: at once)
  t.append("app.log", "a 2\n");
  REQUIRE(std::rename(t.file("app.log").c_str(), t.file("app.log.1").c_str()) == 0);
  t.append("app.log", "b 1\n");
  REQUIRE(t.waitForBodies(3, 4s));
  REQUIRE(std::rename(t.file("app.log.1").c_str(), t.file("app.log.2").c_str()) == 0);
  REQUIRE(std::rename(t.file("app.log").c_str(), t.file("app.log.1").c_str()) == 0);
  t.append("app.log", "c 1\n");
  REQUIRE(t.waitForBodies(4, 4s));
  const auto delivered = t.sink.delivered();
  CHECK(std::vector<std::string>(delivered.begin(), delivered.end()) ==
        std::vector<std::string>{"a 1", "a 2", "b 1", "c 1"});
}

// A pattern whose directory has wildcards (the Kubernetes pods layout): the directories of its matched files are
// watched, so a new file next to one already followed is found at once.
TEST_CASE("a new file in the directory of a file a wildcard directory matched is found by its watch") {
  TailFilesFixture t(fastBatchSink());
  std::filesystem::create_directories(t.file("pod-a"));
  t.options.paths = {t.file("*/*.log")};
  t.options.refresh_interval = std::chrono::hours(1);
  t.options.read_interval = 0ms;
  t.append("pod-a/0.log", "a 0\n");
  t.start();
  REQUIRE(t.waitForBodies(1, 10s));
  t.append("pod-a/1.log", "a 1\n");
  REQUIRE(t.waitForBodies(2, 10s));
  CHECK(t.bodies() == std::multiset<std::string>{"a 0", "a 1"});
}

// A new directory a wildcard level matches (a new pod) is watched as it appears, and a file created in it is read
// before the next scan: /var/log/pods/*/*/*.log's directories at each level.
TEST_CASE("a file in a new directory that a pattern's wildcard directory matches is found before the next scan") {
  TailFilesFixture t(fastBatchSink());
  startWithoutScans(t, "*/*/*.log");
  std::filesystem::create_directories(t.file("pod-b/app"));
  t.append("pod-b/app/0.log", "b 0\n");
  REQUIRE(t.waitForBodies(1, 10s));
  t.append("pod-b/app/1.log", "b 1\n");
  REQUIRE(t.waitForBodies(2, 10s));
  CHECK(t.bodies() == std::multiset<std::string>{"b 0", "b 1"});
}
