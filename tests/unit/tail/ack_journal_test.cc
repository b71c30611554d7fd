#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <cstring>
#include <filesystem>

#include "plugins/tail/ack_journal.h"
#include "tests/support/files.h"
#include "tests/support/temp_dir.h"

using namespace sluice;
using namespace sluice::plugins::tail;

namespace {


std::string bytesOf(const std::vector<JournalRecord>& records) {
  return std::string(reinterpret_cast<const char*>(records.data()), records.size() * sizeof(JournalRecord));
}

JournalRecord record(uint64_t seq, uint64_t ino, uint64_t offset) {
  JournalRecord r;
  r.seq = seq;
  r.dev = 1;
  r.ino = ino;
  r.offset = offset;
  r.fingerprint_len = 5;
  r.fingerprint_hash = 77;
  return AckJournal::seal(r);
}

}  // namespace

TEST_CASE("the ack journal gives back the newest position of each file that the checkpoint does not cover") {
  TempDir dir;
  const std::string path = dir.file("a.journal");
  {
    AckJournal j(path);
    REQUIRE(j.open(0).ok());
    j.add(FileKey{1, 10}, 100, Fingerprint{5, 77});
    j.add(FileKey{1, 11}, 50, Fingerprint{5, 77});
    REQUIRE(j.flush().ok());
    j.add(FileKey{1, 10}, 200, Fingerprint{5, 77});
    REQUIRE(j.flush().ok());
    CHECK(j.lastSeq() == 3);
    CHECK(std::filesystem::file_size(path) == 3 * sizeof(JournalRecord));
  }  // a crash: no checkpoint after these
  AckJournal j(path);
  auto records = j.open(1);   // the checkpoint covers the first record
  REQUIRE(records.ok());
  REQUIRE(records->size() == 2);
  CHECK((*records)[0].key() == FileKey{1, 11});
  CHECK((*records)[0].offset == 50);
  CHECK((*records)[1].key() == FileKey{1, 10});
  CHECK((*records)[1].offset == 200);
  CHECK((*records)[1].fingerprint() == Fingerprint{5, 77});
  j.add(FileKey{1, 12}, 1, Fingerprint{});
  CHECK(j.lastSeq() == 4);    // numbering goes on
}

TEST_CASE("a torn or corrupt record ends the journal") {
  std::string bytes = bytesOf({record(1, 10, 100), record(2, 10, 200), record(3, 10, 300)});
  CHECK(AckJournal::parse(bytes.substr(0, bytes.size() - 1), 0).back().offset == 200);
  std::string flipped = bytes;
  flipped[sizeof(JournalRecord) + 24] ^= 1;   // the second record's offset
  auto records = AckJournal::parse(flipped, 0);
  REQUIRE(records.size() == 1);
  CHECK(records[0].offset == 100);
  CHECK(AckJournal::parse(std::string(4 * sizeof(JournalRecord), '\0'), 0).empty());  // never written
}

TEST_CASE("compacting keeps the records a checkpoint does not cover, and a compaction cut short still reads right") {
  TempDir dir;
  const std::string path = dir.file("a.journal");
  AckJournal j(path);
  REQUIRE(j.open(0).ok());
  for (uint64_t i = 1; i <= 10; ++i) j.add(FileKey{1, 10 + i % 2}, i * 10, Fingerprint{});
  REQUIRE(j.flush().ok());
  REQUIRE(j.compact(7).ok());   // a checkpoint covers 1..7; 8, 9, 10 are newer: the newest per file stays
  CHECK(std::filesystem::file_size(path) == 2 * sizeof(JournalRecord));
  auto kept = AckJournal::parse(readFile(path), 7);
  REQUIRE(kept.size() == 2);
  CHECK(kept[0].seq == 9);
  CHECK(kept[1].seq == 10);
  REQUIRE(j.compact(10).ok());
  CHECK(std::filesystem::file_size(path) == 0);

  // Killed between the rewrite and the truncation: the old records after the new end are covered or older.
  std::string interrupted =
      bytesOf({record(9, 11, 90), record(10, 10, 100), record(3, 11, 30), record(4, 10, 40), record(8, 10, 80)});
  auto records = AckJournal::parse(interrupted, 7);
  REQUIRE(records.size() == 2);
  CHECK(records[0].offset == 90);
  CHECK(records[1].offset == 100);
}
