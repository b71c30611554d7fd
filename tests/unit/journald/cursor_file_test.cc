// The journald cursor file: two slots written in turn, the newest valid one wins, a torn one is found.
#include <catch2/catch.hpp>

#include <sys/stat.h>

#include "plugins/journald/cursor_file.h"
#include "tests/support/files.h"
#include "tests/support/temp_dir.h"

using namespace sluice;
using namespace sluice::plugins::journald;

namespace {

const std::string kCursor = "s=7590920ddef9412094ba5c1707dcc49d;i=2;b=0123456789abcdef0123456789abcdef;m=3e9;"
                            "t=60a24181e4001;x=ea7ffa29f9ea85b9";

// The path of source "sys"'s cursor file under `dir`/state after writing `cursors` in turn.
std::string writeCursors(const TempDir& dir, const std::vector<std::string>& cursors) {
  CursorFile f(dir.file("state"), "sys");
  REQUIRE(f.open().ok());
  for (const std::string& c : cursors) CHECK(f.write(c) == 0);
  return f.path();
}

}  // namespace

TEST_CASE("journald: a cursor slot encodes and decodes, and damage or a bad length is refused", "[journald]") {
  char slot[kCursorSlotBytes];
  REQUIRE(encodeCursorSlot(CursorSlot{7, kCursor}, slot));
  auto back = decodeCursorSlot(std::string_view(slot, sizeof slot));
  REQUIRE(back.has_value());
  CHECK(back->generation == 7);
  CHECK(back->cursor == kCursor);
  slot[30] ^= 1;
  CHECK_FALSE(decodeCursorSlot(std::string_view(slot, sizeof slot)).has_value());
  CHECK_FALSE(encodeCursorSlot(CursorSlot{1, ""}, slot));
  CHECK_FALSE(encodeCursorSlot(CursorSlot{1, std::string(kMaxCursorBytes + 1, 'x')}, slot));
  CHECK(encodeCursorSlot(CursorSlot{1, std::string(kMaxCursorBytes, 'x')}, slot));
  CHECK_FALSE(decodeCursorSlot(std::string_view(slot, sizeof slot - 1)).has_value());
}

TEST_CASE("journald: the cursor file is made at its size, and a start finds the newest write", "[journald]") {
  TempDir dir;
  {
    CursorFile f(dir.file("state"), "sys log");
    CHECK(f.path() == dir.file("state/checkpoints/sys%20log.cursor"));
    auto scan = f.open();
    REQUIRE(scan.ok());
    CHECK_FALSE(scan->newest.has_value());
    CHECK(readFile(f.path()).size() == kCursorFileBytes);
    CHECK(f.write("first") == 0);
    CHECK(f.write("second") == 0);
    CHECK(f.write(kCursor) == 0);
    CHECK(f.sync() == 0);
  }
  CursorFile again(dir.file("state"), "sys log");
  auto scan = again.open();
  REQUIRE(scan.ok());
  CHECK(scan->valid == 2);
  CHECK(scan->torn == 0);
  REQUIRE(scan->newest.has_value());
  CHECK(scan->newest->cursor == kCursor);
  CHECK(again.generation() == 3);
  CHECK(again.write("fourth") == 0);   // over the older slot
  CursorFile third(dir.file("state"), "sys log");
  CHECK(third.open()->newest->cursor == "fourth");
}

TEST_CASE("journald: a torn slot is reported and the other one is the truth", "[journald]") {
  TempDir dir;
  const std::string path = writeCursors(dir, {"older", "newer"});   // "newer": generation 2, slot 0
  std::string bytes = readFile(path);
  bytes[40] ^= 0x55;   // slot 0, torn by a power loss
  writeFile(path, bytes);
  CursorFile f(dir.file("state"), "sys");
  auto scan = f.open();
  REQUIRE(scan.ok());
  CHECK(scan->torn == 1);
  CHECK(scan->newest->cursor == "older");
  CHECK(f.write("next") == 0);   // generation 2 again, over the torn slot
  CHECK(CursorFile(dir.file("state"), "sys").open()->newest->cursor == "next");
}

TEST_CASE("journald: a cursor file of another size is read, then made again at its size", "[journald]") {
  TempDir dir;
  const std::string path = writeCursors(dir, {"kept"});
  writeFile(path, readFile(path) + "extra");
  CursorFile f(dir.file("state"), "sys");
  auto scan = f.open();
  REQUIRE(scan.ok());
  CHECK(scan->newest->cursor == "kept");
  CHECK(readFile(path).size() == kCursorFileBytes);
}
