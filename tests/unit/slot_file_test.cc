// The two-slot file under the spool's ack cursor and the journald source's cursor: made whole at its size, slots
// written in turn, the newest whole one wins, a torn one is counted and zeros are empty.
#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include "agent/buffer/slot_file.h"
#include "tests/support/files.h"
#include "tests/support/temp_dir.h"

using namespace sluice;

namespace {

// A slot of 8 bytes: "G" and a generation digit, then "ok" repeated; anything else does not decode.
struct TestSlot {
  uint64_t generation = 0;
};
std::optional<TestSlot> decodeTest(std::string_view s) {
  if (s.size() != 8 || s[0] != 'G' || s[1] < '1' || s[1] > '9' || s.substr(2) != "okokok") return std::nullopt;
  return TestSlot{static_cast<uint64_t>(s[1] - '0')};
}
std::string slot(int generation) { return "G" + std::to_string(generation) + "okokok"; }

}  // namespace

TEST_CASE("a slot file is made whole at its size, kept when it has it, made again when it has not", "[slots]") {
  TempDir dir;
  const std::string path = dir.file("slots");
  Result<int> fd = openSlotFile(path, 16, 0600);
  REQUIRE(fd.ok());
  CHECK(readFile(path) == std::string(16, '\0'));
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  CHECK(writeSlot(*fd, 1, slot(3)) == 0);
  ::close(*fd);
  Result<int> again = openSlotFile(path, 16);
  REQUIRE(again.ok());
  CHECK(readFile(path) == std::string(8, '\0') + slot(3));   // kept as it was
  ::close(*again);
  appendFile(path, "x");
  Result<int> remade = openSlotFile(path, 16);
  REQUIRE(remade.ok());
  CHECK(readFile(path) == std::string(16, '\0'));
  ::close(*remade);
  CHECK_FALSE(openSlotFile(dir.file("missing/slots"), 16).ok());
}

TEST_CASE("of two slots the whole one with the highest generation wins, a torn one is counted and zeros are empty",
          "[slots]") {
  auto scan = [](const std::string& bytes) { return scanSlots<TestSlot>(bytes, 8, decodeTest); };
  SlotScan<TestSlot> both = scan(slot(4) + slot(5));
  CHECK(both.valid == 2);
  CHECK(both.newest->generation == 5);
  SlotScan<TestSlot> torn = scan(slot(6) + "G7okoXok");
  CHECK(torn.valid == 1);
  CHECK(torn.torn == 1);
  CHECK(torn.newest->generation == 6);
  SlotScan<TestSlot> empty = scan(std::string(16, '\0'));
  CHECK(empty.valid == 0);
  CHECK(empty.torn == 0);
  CHECK_FALSE(empty.newest.has_value());
  CHECK(scan(slot(2)).valid == 1);   // a short file: the slot that is there
  CHECK(scan("").valid == 0);
}

TEST_CASE("a slot's frame: magic, CRC and generation written once, and a slot that lacks any of them is not read",
          "[slots]") {
  constexpr uint32_t kMagic = 0x54534554;  // "TEST"
  char out[32];
  beginSlot(out, sizeof out, kMagic, 7);
  out[16] = 'x';
  sealSlot(out, sizeof out);
  const std::string whole(out, sizeof out);
  CHECK(slotGeneration(whole, sizeof out, kMagic) == 7u);
  CHECK_FALSE(slotGeneration(whole, sizeof out, kMagic + 1));        // another kind of slot
  CHECK_FALSE(slotGeneration(whole.substr(1), sizeof out, kMagic));  // the wrong size
  std::string flipped = whole;
  flipped[16] = 'y';
  CHECK_FALSE(slotGeneration(flipped, sizeof out, kMagic));  // the CRC no longer matches
  beginSlot(out, sizeof out, kMagic, 0);
  sealSlot(out, sizeof out);
  CHECK_FALSE(slotGeneration(std::string(out, sizeof out), sizeof out, kMagic));  // generation 0 is never written
  struct Body {
    uint64_t generation = 0;
    char x = 0;
  };
  auto read = [](const char* p, Body& b) {
    b.x = p[16];
    return b.x == 'x';
  };
  std::optional<Body> body = decodeSlot<Body>(whole, sizeof out, kMagic, read);
  REQUIRE(body);
  CHECK(body->generation == 7);
  CHECK(body->x == 'x');
  CHECK_FALSE(decodeSlot<Body>(flipped, sizeof out, kMagic, read));
}
