#include <sys/stat.h>
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
