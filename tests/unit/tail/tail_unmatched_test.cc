// A path (no wildcard) that names no file yet is looked at on every poll, not only at the scans every
// refresh_interval: a first file created there and rotated away before the next scan is still read.
#include <catch2/catch.hpp>

#include <cstdio>

#include "tests/unit/tail/tail_fixture.h"

using namespace sluice;
using namespace sluice::plugins::tail;
using namespace std::chrono_literals;

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
