#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include "agent/core/path_glob.h"
#include "tests/support/files.h"
#include "tests/support/temp_dir.h"

using namespace sluice;

TEST_CASE("matchGlobs lists the regular files the globs match, sorted, less the excluded ones", "[path]") {
  TempDir dir;
  writeFile(dir.file("b.log"), "x");
  writeFile(dir.file("a.log"), "x");
  writeFile(dir.file("a.log.gz"), "x");
  writeFile(dir.file("skip.log"), "x");
  REQUIRE(::mkdir(dir.file("d.log").c_str(), 0755) == 0);          // a directory: not followed
  REQUIRE(::symlink(dir.file("b.log").c_str(), dir.file("c.log").c_str()) == 0);  // a link to a file: followed
  GlobMatches m = matchGlobs({dir.file("*.log"), dir.file("{a,b}.log")}, {"skip.*", dir.file("*.gz")});
  CHECK(m.files == std::vector<std::string>{dir.file("a.log"), dir.file("b.log"), dir.file("c.log")});
  CHECK(m.problems.empty());
}

TEST_CASE("matchGlobs matches nothing in a directory that does not exist, without a problem", "[path]") {
  TempDir dir;
  GlobMatches m = matchGlobs({dir.file("none/*.log")}, {});
  CHECK(m.files.empty());
  CHECK(m.problems.empty());
}

TEST_CASE("expandGlobs keeps every kind of path and names the patterns that matched nothing", "[path]") {
  TempDir dir;
  writeFile(dir.file("a.log"), "x");
  REQUIRE(::mkdir(dir.file("d.log").c_str(), 0755) == 0);
  GlobMatches m = expandGlobs({dir.file("*.log"), dir.file("*.txt"), dir.file("a.log")}, {});
  CHECK(m.files == std::vector<std::string>{dir.file("a.log"), dir.file("d.log")});
  CHECK(m.unmatched == std::vector<std::string>{dir.file("*.txt")});
}

TEST_CASE("globExcluded matches an exclude glob against the path or its base name", "[path]") {
  CHECK(globExcluded("/var/log/app.log.gz", {"*.gz"}));
  CHECK(globExcluded("/var/log/app.log", {"/var/log/*.log"}));
  CHECK_FALSE(globExcluded("/var/log/app.log", {"*.gz", "/tmp/*"}));
  CHECK_FALSE(globExcluded("/var/log/app.log", {}));
}

TEST_CASE("missingGlobDirectory names a directory without wildcards that does not exist", "[path]") {
  TempDir dir;
  CHECK(missingGlobDirectory(dir.file("none/*.log")) == dir.file("none"));
  CHECK(missingGlobDirectory(dir.file("*.log")).empty());
  CHECK(missingGlobDirectory(dir.file("n*e/app.log")).empty());  // a wildcard in the directory: cannot say
}

namespace {
void setDirMtime(const std::string& dir, const timespec& t) {
  const timespec times[2] = {t, t};
  REQUIRE(::utimensat(AT_FDCWD, dir.c_str(), times, 0) == 0);
}
timespec secondsAgo(int s) {
  timespec now{};
  ::clock_gettime(CLOCK_REALTIME, &now);
  now.tv_sec -= s;
  return now;
}
}  // namespace

TEST_CASE("with a cache a directory unchanged for more than 2 s is not listed again, a changed one is", "[path]") {
  TempDir dir;
  const std::string logs = dir.file("logs");
  REQUIRE(::mkdir(logs.c_str(), 0755) == 0);
  writeFile(logs + "/a.log", "x");
  const timespec old = secondsAgo(10);
  setDirMtime(logs, old);
  GlobCache cache;
  CHECK(expandGlobs({logs + "/*.log"}, {}, &cache).files == std::vector<std::string>{logs + "/a.log"});
  // A name added, the directory's mtime put back: the cached listing is what comes (it was not read again).
  writeFile(logs + "/b.log", "x");
  setDirMtime(logs, old);
  CHECK(expandGlobs({logs + "/*.log"}, {}, &cache).files == std::vector<std::string>{logs + "/a.log"});
  // Without the cache, or once the mtime moved, both.
  const std::vector<std::string> both{logs + "/a.log", logs + "/b.log"};
  CHECK(expandGlobs({logs + "/*.log"}, {}).files == both);
  setDirMtime(logs, secondsAgo(5));
  CHECK(expandGlobs({logs + "/*.log"}, {}, &cache).files == both);
  // Changed within 2 s of a listing: listed every time, since a change just after it could keep the same mtime.
  const timespec recent = secondsAgo(0);
  setDirMtime(logs, recent);
  CHECK(expandGlobs({logs + "/*.log"}, {}, &cache).files == both);
  writeFile(logs + "/c.log", "x");
  setDirMtime(logs, recent);
  CHECK(expandGlobs({logs + "/*.log"}, {}, &cache).files.size() == 3);
}
