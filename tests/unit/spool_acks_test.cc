// The spool's acknowledged position (ack slots) and its behaviour when a write fails for lack of space.
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <csignal>

#include "tests/unit/spool_fixture.h"
#include "tests/support/files.h"

using namespace sluice;
using namespace sluice::spool_test;

namespace {

std::set<std::string> dataOf(const std::vector<Fixture::Read>& got) {
  std::set<std::string> out;
  for (const auto& r : got) out.insert(r.data);
  return out;
}

void ackAll(Fixture& f, const std::vector<uint64_t>& seqs, std::initializer_list<int> which) {
  for (int i : which) {
    f.spool->takeUnread(seqs[static_cast<size_t>(i)]);
    f.spool->ack(seqs[static_cast<size_t>(i)]);
  }
}

}  // namespace

TEST_CASE("ack slots: a slot decodes to what was encoded, and a flipped bit makes it torn", "[spool][acks]") {
  AckState s;
  s.generation = 7;
  s.position = (uint64_t{3} << 40) | 100;
  s.epoch = 3;
  CHECK(s.mark(s.position + 1));
  CHECK(s.mark(s.position + 1024));
  CHECK_FALSE(s.mark(s.position + 1025));
  char slot[kAckSlotBytes];
  encodeAckSlot(s, slot);
  auto back = decodeAckSlot(std::string_view(slot, sizeof slot));
  REQUIRE(back.has_value());
  CHECK(back->generation == 7);
  CHECK(back->position == s.position);
  CHECK(back->epoch == 3);
  CHECK(back->resolved(s.position));
  CHECK(back->resolved(s.position + 1));
  CHECK_FALSE(back->resolved(s.position + 2));
  CHECK(back->resolved(s.position + 1024));
  CHECK_FALSE(back->resolved(s.position + 1025));
  slot[40] ^= 0x01;
  CHECK_FALSE(decodeAckSlot(std::string_view(slot, sizeof slot)).has_value());
  std::string file(kAckFileBytes, '\0');
  encodeAckSlot(s, file.data());
  file[kAckSlotBytes + 3] = 'x';  // the other slot: written halfway
  AckFileScan scan = scanAckFile(file);
  CHECK(scan.valid == 1);
  CHECK(scan.torn == 1);
  REQUIRE(scan.newest.has_value());
  CHECK(scan.newest->generation == 7);
}

TEST_CASE("acknowledgements out of order survive a crash: only the unacknowledged records are replayed",
          "[spool][acks]") {
  Fixture f;
  SpoolOptions o = f.options();
  o.ledger_interval = 1h;  // nothing is fsynced or rewritten: the slots' pwrite alone must carry it
  auto s = Spool::open(f.loop, o, &f.report);
  REQUIRE(s.ok());
  f.spool = std::move(*s);
  auto seqs = f.append(0, 8);
  ackAll(f, seqs, {0, 1, 3, 4, 6});  // 2 is still being retried while later batches were delivered
  f.crash();
  f.open();
  auto got = f.readAll();
  CHECK(dataOf(got) == std::set<std::string>{recordData(2), recordData(5), recordData(7)});
}

TEST_CASE("a torn newest ack slot falls back to the other slot", "[spool][acks]") {
  Fixture f;
  f.open();
  auto seqs = f.append(0, 6);
  ackAll(f, seqs, {0, 1, 2});
  f.crash();
  // The last write (record 2's acknowledgement) is torn by a power loss: record 1's slot is the truth.
  const std::string path = f.dir.path() + "/spool/acks";
  std::string acks = readFile(path);
  AckFileScan scan = scanAckFile(acks);
  REQUIRE(scan.valid == 2);
  const size_t newest = scan.newest->generation & 1;
  acks[newest * kAckSlotBytes + 20] ^= 0x40;
  writeFile(path, acks);
  f.open();
  REQUIRE(!f.report.notes.empty());
  CHECK(f.report.notes[0].find("torn") != std::string::npos);
  auto got = f.readAll();
  CHECK(dataOf(got) == std::set<std::string>{recordData(2), recordData(3), recordData(4), recordData(5)});
}

TEST_CASE("both ack slots torn: the ledger's position holds, and nothing is lost", "[spool][acks]") {
  Fixture f;
  f.open();
  f.append(0, 4);
  f.close();
  f.open();  // the ledger now says: nothing acknowledged
  auto got = f.readAll();
  REQUIRE(got.size() == 4);
  f.spool->ack(got[0].seq);
  f.spool->ack(got[1].seq);
  f.crash();
  std::string garbage(kAckFileBytes, 'z');
  writeFile(f.dir.path() + "/spool/acks", garbage);
  f.open();
  CHECK(f.report.records == 4);  // sent again: at least once
}

TEST_CASE("a spool from before the ack slots existed is replayed from its ledger's position", "[spool][acks]") {
  Fixture f;
  f.open();
  auto seqs = f.append(0, 5);
  f.crash();
  fs::remove(f.dir.path() + "/spool/acks");
  auto ledger = readLedgerFile(f.dir.path() + "/spool");
  REQUIRE(ledger.ok());
  ledger->acked = seqs[2];
  ledger->generation = 0;
  REQUIRE(writeLedgerFile(f.dir.path() + "/spool", *ledger).ok());
  f.open();
  auto got = f.readAll();
  CHECK(dataOf(got) == std::set<std::string>{recordData(3), recordData(4)});
  CHECK(fs::file_size(f.dir.path() + "/spool/acks") == kAckFileBytes);
}

TEST_CASE("a write that fails for lack of space is undone: no partial record, no empty segment", "[spool][acks]") {
  Fixture f;
  f.open(4096);
  auto seqs = f.append(0, 3);
  // The next segment cannot be written: every write to it fails with ENOSPC, as on a full disk.
  f.spool->takeUnread(seqs[0]);
  std::vector<Status> results;
  for (int i = 3; i < 40; ++i) {
    f.keep.push_back(std::string(300, static_cast<char>('a' + i % 26)));
    f.keep.back() = "300 " + f.keep.back().substr(4);
    uint64_t seq = f.spool->nextSeq();
    if (i == 14) {  // where the first segment is full
      REQUIRE(f.segments().size() == 1);
      unsigned id = 0;
      sscanf(fs::path(f.segments()[0]).filename().c_str(), "seg-%8u.spl", &id);
      char next[32];
      snprintf(next, sizeof next, "/spool/seg-%08u.spl", id + 1);
      fs::create_symlink("/dev/full", f.dir.path() + next);
    }
    f.spool->append(seq, f.keep.back(), 1, [&](Status st) { results.push_back(st); });
    REQUIRE(runLoopUntil(f.loop, [&] { return results.size() == static_cast<size_t>(i - 2); }, 10s));
  }
  size_t ok = 0, failed = 0;
  for (const auto& st : results) (st.ok() ? ok : failed) += 1;
  CHECK(failed >= 1);
  CHECK(ok >= 10);
  CHECK(f.spool->noSpace() == (failed > 0 && !results.back().ok()));
  // Nothing half-written: every segment scans clean, and none is empty.
  f.crash();
  for (const auto& seg : f.segments()) {
    std::string bytes = readFile(seg);
    CHECK(!bytes.empty());
    CHECK(scanSegment(bytes).tail == SegmentScan::Tail::Clean);
  }
  f.open(4096);
  CHECK(f.report.records == 3 + ok);  // what was reported written, and only that
  CHECK(f.report.torn_records == 0);
  CHECK(f.report.corrupt_records == 0);
}

TEST_CASE("a damaged segment's good records are replayed from quarantine, again after a second crash, and counted once",
          "[spool][acks]") {
  Fixture f;
  const std::vector<std::string> segs = f.crashInSmallSegments();
  const uint64_t size = fs::file_size(segs[1]);
  const SegmentScan scan = flipBit(segs[1], 2, 1);  // two good records before the damage
  f.open(256);
  const uint64_t corrupt = f.report.corrupt_records;
  CHECK(corrupt == scan.records.size() - 2);
  CHECK(f.report.quarantined_records == 2);
  CHECK(f.report.records == 30 - corrupt);
  f.crash();  // nothing delivered yet
  f.open(256);
  CHECK(f.report.corrupt_records == 0);  // reported once, when it was found
  CHECK(f.report.quarantined_records == 2);
  auto got = f.readAll();
  CHECK(got.size() == 30 - corrupt);
  for (const auto& r : got) f.spool->ack(r.seq);
  f.close();
  f.open(256);
  CHECK(f.report.records == 0);
  CHECK(f.report.quarantined_records == 0);
  size_t quarantined = 0;
  for (const auto& e : fs::directory_iterator(f.dir.path() + "/spool/quarantine")) {
    // Kept for whoever examines it, its size unchanged.
    CHECK(fs::file_size(e.path()) == size);
    ++quarantined;
  }
  CHECK(quarantined == 1);
}

// Files may not grow past `bytes` while it lives (or until lift()): RLIMIT_FSIZE is the process's, SIGXFSZ ignored.
struct FileSizeLimit {
  struct rlimit old {};
  void (*old_handler)(int) = nullptr;
  bool set = false;
  explicit FileSizeLimit(rlim_t bytes) {
    REQUIRE(getrlimit(RLIMIT_FSIZE, &old) == 0);
    old_handler = std::signal(SIGXFSZ, SIG_IGN);
    struct rlimit small = old;
    small.rlim_cur = bytes;
    REQUIRE(setrlimit(RLIMIT_FSIZE, &small) == 0);
    set = true;
  }
  void lift() {
    if (!set) return;
    setrlimit(RLIMIT_FSIZE, &old);
    std::signal(SIGXFSZ, old_handler);
    set = false;
  }
  ~FileSizeLimit() { lift(); }
};

TEST_CASE("a write cut short keeps the records written whole before it and fails the rest", "[spool][acks]") {
  Fixture f;
  f.open(1 << 20);
  FileSizeLimit limit(3000);
  std::vector<Status> results;
  for (int i = 0; i < 20; ++i) {  // queued together: one job writes them all
    f.keep.push_back("300 " + std::string(296, static_cast<char>('a' + i)));
    f.spool->append(f.spool->nextSeq(), f.keep.back(), 1, [&](Status st) { results.push_back(st); });
  }
  bool finished = runLoopUntil(f.loop, [&] { return results.size() == 20; }, 10s);
  limit.lift();
  REQUIRE(finished);
  const size_t per_record = kRecordHeader + 300;
  const size_t whole = 3000 / per_record;
  size_t ok = 0;
  for (size_t i = 0; i < results.size(); ++i) {
    if (results[i].ok()) ++ok;
    CHECK(results[i].ok() == (i < whole));  // in order: the written prefix, then the failures
  }
  CHECK(ok == whole);
  CHECK_FALSE(f.spool->noSpace());  // a file too large is not a full disk
  f.crash();
  REQUIRE(f.segments().size() == 1);
  CHECK(fs::file_size(f.segments()[0]) == whole * per_record);
  f.open(1 << 20);
  CHECK(f.report.records == whole);
  CHECK(f.report.torn_records == 0);
}

TEST_CASE("an append made while a failed write is settled lands where the failure began, leaving no hole",
          "[spool][acks]") {
  Fixture f;
  f.open(1 << 20);
  FileSizeLimit limit(3000);
  std::vector<Status> results;
  Status again_result;
  bool again_done = false;
  f.keep.reserve(32);
  for (int i = 0; i < 20; ++i) {  // queued together: one job writes them all, the last ones fail
    f.keep.push_back("300 " + std::string(296, static_cast<char>('a' + i)));
    f.spool->append(f.spool->nextSeq(), f.keep.back(), 1, [&](Status st) {
      results.push_back(st);
      // The first append is written by a job of its own; the second is the first of the job that fails. A source
      // acknowledged by it reads on at once: its next batch is appended from here, while the failed records'
      // place is being given back. The disk has room for it again.
      if (results.size() != 2) return;
      limit.lift();
      f.keep.push_back("300 " + std::string(296, 'z'));
      f.spool->append(f.spool->nextSeq(), f.keep.back(), 1, [&](Status st2) {
        again_result = st2;
        again_done = true;
      });
    });
  }
  bool finished = runLoopUntil(f.loop, [&] { return results.size() == 20 && again_done; }, 10s);
  limit.lift();
  REQUIRE(finished);
  CHECK(again_result.ok());
  const size_t per_record = kRecordHeader + 300;
  const size_t whole = 3000 / per_record;
  f.crash();
  REQUIRE(f.segments().size() == 1);
  CHECK(fs::file_size(f.segments()[0]) == (whole + 1) * per_record);  // right after the records kept
  f.open(1 << 20);
  CHECK(f.report.records == whole + 1);
  CHECK(f.report.corrupt_records == 0);
  CHECK(f.report.torn_records == 0);
}
