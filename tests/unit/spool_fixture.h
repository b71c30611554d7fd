#pragma once
// The spool's unit-test fixture: a spool in a temp dir on its own loop, records with two frames each, crashes.
#include <catch2/catch.hpp>

#include <filesystem>
#include <set>

#include "agent/buffer/ledger.h"
#include "agent/buffer/spool.h"
#include "agent/buffer/spool_format.h"
#include "tests/support/files.h"
#include "tests/support/temp_dir.h"
#include "tests/support/wait.h"

namespace sluice::spool_test {

using namespace std::chrono_literals;
namespace fs = std::filesystem;


// Two frames per record, distinct per i.
inline std::string recordData(int i) {
  std::string a = "msg-" + std::to_string(i) + "-a";
  std::string b = "msg-" + std::to_string(i) + "-b";
  return std::to_string(a.size()) + " " + a + std::to_string(b.size()) + " " + b;
}

struct Fixture {
  TempDir dir{"sluice-spool"};
  Loop loop;
  std::unique_ptr<Spool> spool;
  SpoolReport report;
  std::vector<std::string> keep;  // appended data must outlive the append

  SpoolOptions options(uint64_t segment_bytes = 0) const {
    SpoolOptions o;
    o.dir = dir.path() + "/spool";
    o.max_bytes = 64 << 20;
    o.segment_bytes = segment_bytes;
    o.ledger_interval = 10ms;
    return o;
  }
  void open(uint64_t segment_bytes = 0, SyncMode sync = SyncMode::Batch) {
    SpoolOptions o = options(segment_bytes);
    o.sync = sync;
    report = SpoolReport{};
    auto s = Spool::open(loop, o, &report);
    REQUIRE(s.ok());
    spool = std::move(*s);
  }
  // Appends records for i in [from, to); returns their seqs.
  std::vector<uint64_t> append(int from, int to) {
    std::vector<uint64_t> seqs;
    int done = 0;
    for (int i = from; i < to; ++i) {
      keep.push_back(recordData(i));
      uint64_t seq = spool->nextSeq();
      seqs.push_back(seq);
      spool->append(seq, keep.back(), 2, [&](Status st) {
        CHECK(st.ok());
        ++done;
      });
    }
    REQUIRE(runLoopUntil(loop, [&] { return done == to - from; }, 10s));
    return seqs;
  }
  struct Read {
    uint64_t seq;
    std::string data;
  };
  std::vector<Read> readAll() {
    std::vector<Read> out;
    while (spool->unread() > 0) {
      REQUIRE(runLoopUntil(loop, [&] { return spool->canRead(); }, 10s));
      ByteBuffer buf;
      bool done = false;
      Status result;
      uint64_t got_seq = 0;
      spool->readNext(buf, [&](Status st, uint64_t seq, uint32_t frames) {
        result = st;
        got_seq = seq;
        CHECK(frames == 2);
        done = true;
      });
      REQUIRE(runLoopUntil(loop, [&] { return done; }, 10s));
      REQUIRE(result.ok());
      out.push_back(Read{got_seq, std::string(buf.view())});
    }
    return out;
  }
  void close() {
    if (!spool) return;
    bool done = false;
    spool->close([&] { done = true; });
    REQUIRE(runLoopUntil(loop, [&] { return done; }, 10s));
    spool.reset();
  }
  // A crash: the process ends without close() (what was written stays, nothing else happens).
  // Disk work already queued finishes first (a test cannot stop a worker thread halfway).
  void crash() {
    REQUIRE(runLoopUntil(loop, [&] { return spool->idle(); }, 10s));
    spool.reset();
  }
  // Thirty records in segments of 256 bytes, then a crash: the segments, at least three.
  std::vector<std::string> crashInSmallSegments() {
    open(256);
    append(0, 30);
    crash();
    std::vector<std::string> segs = segments();
    REQUIRE(segs.size() >= 3);
    return segs;
  }
  std::vector<std::string> segments() const {
    std::vector<std::string> out;
    for (const auto& e : fs::directory_iterator(dir.path() + "/spool")) {
      if (e.path().extension() == ".spl") out.push_back(e.path().string());
    }
    std::sort(out.begin(), out.end());
    return out;
  }
  ~Fixture() {
    close();
    CHECK(loop.close() == 0);
  }
};

// Flips a bit in byte `at` of the data of record `record` of `segment`, so that its CRC no longer matches; the
// records the segment held before (at least three).
inline SegmentScan flipBit(const std::string& segment, size_t record, size_t at) {
  std::string bytes = readFile(segment);
  SegmentScan scan = scanSegment(bytes);
  REQUIRE(scan.records.size() >= 3);
  bytes[scan.records[record].offset + kRecordHeader + at] ^= 0x10;
  writeFile(segment, bytes);
  return scan;
}

}  // namespace sluice::spool_test
