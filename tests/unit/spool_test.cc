#include "tests/unit/spool_fixture.h"
#include "tests/support/files.h"

using namespace sluice;
using namespace sluice::spool_test;

TEST_CASE("records are written, read back in order and identical", "[spool]") {
  Fixture f;
  f.open();
  auto seqs = f.append(0, 50);
  auto got = f.readAll();
  REQUIRE(got.size() == 50);
  for (int i = 0; i < 50; ++i) {
    CHECK(got[i].seq == seqs[i]);
    CHECK(got[i].data == recordData(i));
  }
}

TEST_CASE("after a crash every record not acknowledged is replayed, in order, and no acknowledged one", "[spool]") {
  Fixture f;
  f.open();
  auto seqs = f.append(0, 20);
  for (int i = 0; i < 5; ++i) f.spool->takeUnread(seqs[i]);
  for (int i = 0; i < 5; ++i) f.spool->ack(seqs[i]);
  bool flushed = false;
  f.spool->flush([&] { flushed = true; });
  REQUIRE(runLoopUntil(f.loop, [&] { return flushed; }, 10s));
  f.spool->ack(seqs[5]);  // after the last fsync: in an ack slot, which survives a crash of the process
  f.crash();
  f.open();
  CHECK(f.report.records == 14);
  CHECK(f.report.frames == 28);
  auto got = f.readAll();
  REQUIRE(got.size() == 14);
  CHECK(got.front().seq == seqs[6]);
  CHECK(got.back().data == recordData(19));
}

TEST_CASE("each run's sequence numbers are above the previous run's", "[spool]") {
  Fixture f;
  f.open();
  auto first = f.append(0, 3);
  f.close();
  f.open();
  auto second = f.append(3, 4);
  CHECK(second[0] > first[2]);
  CHECK((second[0] >> 40) == (first[2] >> 40) + 1);
}

TEST_CASE("a segment is deleted as soon as all its records are acknowledged", "[spool]") {
  Fixture f;
  SpoolOptions o = f.options(256);  // a few records per segment
  o.ledger_interval = 1h;           // no periodic work: the acknowledgement alone gives the space back
  auto s = Spool::open(f.loop, o, &f.report);
  REQUIRE(s.ok());
  f.spool = std::move(*s);
  auto seqs = f.append(0, 40);
  size_t before = f.segments().size();
  CHECK(before > 5);
  auto got = f.readAll();
  for (auto& r : got) f.spool->ack(r.seq);
  REQUIRE(runLoopUntil(f.loop, [&] { return f.spool->idle(); }, 10s));
  CHECK(f.segments().empty());
  CHECK(f.spool->diskBytes() == 0);
  f.close();
  f.open();
  CHECK(f.report.records == 0);
  CHECK(f.segments().empty());
}

TEST_CASE("a record torn at the end by a crash is truncated and counted, the rest is replayed", "[spool]") {
  Fixture f;
  f.open();
  f.append(0, 10);
  f.crash();
  auto segs = f.segments();
  REQUIRE(segs.size() == 1);
  auto size = fs::file_size(segs[0]);
  fs::resize_file(segs[0], size - 5);  // the last record loses its end
  f.open();
  CHECK(f.report.torn_records == 1);
  CHECK(f.report.torn_bytes == recordData(9).size() + kRecordHeader - 5);
  CHECK(f.report.corrupt_records == 0);
  auto got = f.readAll();
  REQUIRE(got.size() == 9);
  CHECK(got.back().data == recordData(8));
  CHECK(fs::file_size(segs[0]) == size - recordData(9).size() - kRecordHeader);
}

TEST_CASE("a bit flipped in the middle skips the rest of its segment and quarantines it", "[spool]") {
  Fixture f;
  const std::vector<std::string> segs = f.crashInSmallSegments();
  // Flip one bit inside the data of the second record of the second segment.
  const uint64_t size = fs::file_size(segs[1]);
  const SegmentScan scan = flipBit(segs[1], 1, 2);
  const size_t per_segment = scan.records.size();
  f.open(256);
  CHECK(f.report.corrupt_records == per_segment - 1);
  CHECK(f.report.corrupt_bytes == size - scan.records[1].offset);
  REQUIRE(f.report.notes.size() == 1);
  CHECK(f.report.notes[0].find("bad CRC") != std::string::npos);
  CHECK(f.report.notes[0].find("quarantine") != std::string::npos);
  size_t quarantined = 0;
  for (const auto& e : fs::directory_iterator(f.dir.path() + "/spool/quarantine")) {
    (void)e;
    ++quarantined;
  }
  CHECK(quarantined == 1);
  auto got = f.readAll();
  CHECK(got.size() == 30 - (per_segment - 1));
  // The good record before the flip survived; the ones after it in that segment did not.
  std::set<std::string> data;
  for (auto& r : got) data.insert(r.data);
  CHECK(data.count(recordData(static_cast<int>(per_segment))) == 1);
  CHECK(data.count(recordData(static_cast<int>(per_segment) + 1)) == 0);
  CHECK(data.count(recordData(29)) == 1);
}

namespace {

// Five records, the first acknowledged; then the spool closes and its ledger is overwritten with garbage.
void ackOneThenBreakLedger(Fixture& f) {
  f.open();
  auto seqs = f.append(0, 5);
  f.spool->takeUnread(seqs[0]);
  f.spool->ack(seqs[0]);
  f.close();
  writeFile(f.dir.path() + "/spool/ledger", "garbage");
}

}  // namespace

TEST_CASE("a corrupt ledger is moved aside, and the ack slots still say what was acknowledged", "[spool]") {
  Fixture f;
  ackOneThenBreakLedger(f);
  f.open();
  REQUIRE(f.report.notes.size() == 1);
  CHECK(f.report.notes[0].find("not a spool ledger") != std::string::npos);
  CHECK(f.report.notes[0].find("taken from the ack slots") != std::string::npos);
  CHECK(f.report.records == 4);
}

TEST_CASE("a corrupt ledger and no ack slots: every record is replayed", "[spool]") {
  Fixture f;
  ackOneThenBreakLedger(f);
  fs::remove(f.dir.path() + "/spool/acks");
  f.open();
  REQUIRE(f.report.notes.size() == 1);
  CHECK(f.report.notes[0].find("every record in the spool is replayed") != std::string::npos);
  CHECK(f.report.records == 5);
}

TEST_CASE("the ledger is replaced atomically: a leftover temp file does not matter", "[spool]") {
  TempDir dir;
  Ledger l{"0123456789abcdef", 3, 42, 7};
  REQUIRE(writeLedgerFile(dir.path(), l).ok());
  writeFile(dir.path() + "/ledger.tmp", "sluice-spool-ledger 1\nid 01");  // a crash mid-write
  auto back = readLedgerFile(dir.path());
  REQUIRE(back.ok());
  CHECK(back->id == l.id);
  CHECK(back->epoch == 3);
  CHECK(back->acked == 42);
  CHECK(back->generation == 7);
  CHECK_FALSE(Ledger::parse("sluice-spool-ledger 1\nid 0123456789abcdef\nepoch 3\nacked 42\n").ok());  // no end
  // A ledger written before the ack slots existed has no generation.
  auto old = Ledger::parse("sluice-spool-ledger 1\nid 0123456789abcdef\nepoch 3\nacked 42\nend\n");
  REQUIRE(old.ok());
  CHECK(old->generation == 0);
}

TEST_CASE("a batch spilled below the acknowledged position steps both ack slots back, so it survives a crash",
          "[spool]") {
  Fixture f;
  f.open();
  auto seqs = f.append(0, 3);
  f.readAll();
  for (auto s : seqs) f.spool->ack(s);
  bool flushed = false;
  f.spool->flush([&] { flushed = true; });
  REQUIRE(runLoopUntil(f.loop, [&] { return flushed; }, 10s));
  // An older batch (a lower seq, kept in memory until now) is spilled at shutdown.
  f.keep.push_back(recordData(100));
  bool done = false;
  f.spool->append(seqs[0] - 1, f.keep.back(), 2, [&](Status st) {
    CHECK(st.ok());
    done = true;
  });
  REQUIRE(runLoopUntil(f.loop, [&] { return done; }, 10s));
  // Neither slot may claim a position at or above it, whichever of them survives a power loss.
  std::string acks = readFile(f.dir.path() + "/spool/acks");
  for (size_t i = 0; i < 2; ++i) {
    auto slot = decodeAckSlot(std::string_view(acks).substr(i * kAckSlotBytes, kAckSlotBytes));
    REQUIRE(slot.has_value());
    CHECK(slot->position < seqs[0] - 1);
  }
  f.crash();
  f.open();
  auto got = f.readAll();
  // Stepping back may replay records acknowledged since (at least once), never lose the spilled one.
  REQUIRE(!got.empty());
  CHECK(got.front().data == recordData(100));
  CHECK(got.size() <= 4);
}

TEST_CASE("with sync: interval an append is reported done after the next periodic fsync", "[spool]") {
  Fixture f;
  SpoolOptions o = f.options();
  o.sync = SyncMode::Interval;
  o.sync_interval = 30ms;
  auto s = Spool::open(f.loop, o, &f.report);
  REQUIRE(s.ok());
  f.spool = std::move(*s);
  auto seqs = f.append(0, 4);
  CHECK(seqs.size() == 4);
}

TEST_CASE("drop_oldest gives up the oldest unread record and reports its frames", "[spool]") {
  Fixture f;
  f.open();
  auto seqs = f.append(0, 3);
  CHECK(f.spool->dropOldestUnread() == std::make_pair(seqs[0], uint32_t{2}));
  auto got = f.readAll();
  REQUIRE(got.size() == 2);
  CHECK(got[0].seq == seqs[1]);
}
