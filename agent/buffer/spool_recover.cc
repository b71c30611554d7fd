// Opening a spool: what the files on disk say, and what to replay. Recovery needs no free space: segments are
// cut back or moved (rename), the ack slots are rewritten in place, and a ledger that cannot be written (a full
// disk) is not needed while the slots can be.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <set>

#include "agent/buffer/spool.h"
#include "agent/buffer/spool_io.h"
#include "agent/core/durable_file.h"
#include "agent/core/clock.h"
#include "agent/formats/frame.h"

namespace sluice {
namespace {

uint32_t countFrames(std::string_view data) {
  uint32_t n = 0;
  for (std::string_view m : Frames(data)) {
    (void)m;
    ++n;
  }
  return n;
}

bool segmentName(const std::string& name, unsigned* id) {
  return name.size() == 16 && sscanf(name.c_str(), "seg-%8u.spl", id) == 1;
}

// "seg-00000002.spl.1763725000": a segment quarantined by an earlier run.
bool quarantineName(const std::string& name) {
  unsigned id = 0;
  return name.size() > 17 && segmentName(name.substr(0, 16), &id) && name[16] == '.' &&
         name.find_first_not_of("0123456789", 17) == std::string::npos;
}

}  // namespace

void Spool::indexSegment(uint32_t id, std::string_view bytes, const std::vector<ScannedRecord>& records,
                         const AckState& acked, SpoolReport* report, uint64_t* indexed) {
  Segment& seg = segments_[id];
  for (const ScannedRecord& r : records) {
    max_seq_ = std::max(max_seq_, r.seq);
    if (acked.resolved(r.seq)) continue;  // acknowledged before the restart
    std::string_view data = bytes.substr(r.offset + kRecordHeader, r.len);
    Entry e{id, r.offset, r.len, countFrames(data), true};
    unread_[r.seq] = e;
    unread_frames_ += e.frames;
    ++seg.live;
    report->records += 1;
    report->frames += e.frames;
    report->bytes += r.len;
    if (indexed != nullptr) ++*indexed;
  }
  resize(seg, bytes.size());
}

void Spool::openCursor(const AckState& acked, uint64_t generation, SpoolReport* report) {
  auto fd = AckCursor::openFile(options_.dir);
  if (!fd) {
    report->notes.push_back(fd.error().message + ": acknowledgements are kept in memory until it can be made" +
                            " (after a crash, batches delivered meanwhile are sent again)");
    countError(isNoSpace(fd.error()) ? "spool_no_space" : "spool_ack_write");
    cursor_.setGeneration(generation);
    return;
  }
  cursor_.attach(*fd, generation);
  // Seqs resolved out of order before the crash stay resolved.
  for (size_t i = 0; i < kAckWindow; ++i) {
    if ((acked.above[i / 64] >> (i % 64) & 1) != 0) acked_above_.insert(acked.position + 1 + i);
  }
  AckState s = cursorState();
  if (s.position < acked.position) s = acked;  // nothing left to replay below it: keep what the slots said
  s.epoch = ledger_.epoch;
  int err = cursor_.writeBoth(s);
  if (err == 0 && ::fdatasync(cursor_.fd()) != 0) err = errno;
  if (err != 0) {
    report->notes.push_back(std::string("cannot write the ack slots: ") + std::strerror(err));
    countError("spool_ack_write");
  }
}

Status Spool::recover(SpoolReport* report) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::create_directories(options_.dir, ec);
  if (ec) return makeError("cannot create spool directory " + options_.dir + ": " + ec.message());
  ::unlink((options_.dir + "/ledger.tmp").c_str());  // left by a crash or a full disk: never needed

  RecoveredPosition pos = readAckedPosition(report);
  max_seq_ = pos.acked.position;
  if (ledger_.id.empty()) ledger_.id = randomSpoolId();

  std::vector<uint32_t> ids;
  for (const auto& e : fs::directory_iterator(options_.dir, ec)) {
    unsigned id = 0;
    if (segmentName(e.path().filename().string(), &id)) ids.push_back(id);
  }
  std::sort(ids.begin(), ids.end());
  uint32_t next_id = ids.empty() ? 1 : ids.back() + 1;
  std::set<std::string> moved_now;
  for (size_t i = 0; i < ids.size(); ++i) {
    Status st = recoverSegment(ids[i], i + 1 == ids.size(), pos.acked, report, &next_id, &moved_now);
    if (!st) return st;
  }
  recoverQuarantined(pos.acked, moved_now, report, &next_id);

  // A new epoch: this run's sequence numbers are above every earlier one, also when the ledger cannot be written.
  uint32_t epoch = std::max({pos.epoch, static_cast<uint32_t>(max_seq_ >> 40),
                             static_cast<uint32_t>(pos.acked.position >> 40)});
  ledger_.epoch = epoch + 1;
  ledger_.acked = pos.acked.position;
  ledger_.generation = ++pos.generation;
  if (Status w = writeLedgerFile(options_.dir, ledger_); !w) {
    ::unlink((options_.dir + "/ledger.tmp").c_str());
    report->notes.push_back(w.error().message + ": the ack slots carry the position and the epoch");
    countError(isNoSpace(w.error()) ? "spool_no_space" : "spool_ledger");
  }
  openCursor(pos.acked, pos.generation, report);

  removeReplayedSegments();
  write_segment_ = 0;  // appends go to a new segment
  next_segment_ = std::max(next_id, segments_.empty() ? 1u : segments_.rbegin()->first + 1);

  if (freeBytes(options_.dir, &report->free_bytes) && report->free_bytes < kLowDiskSpace) {
    report->disk_full = true;
    no_space_ = true;
    no_space_at_ = std::chrono::steady_clock::now();
    countError("spool_no_space");
  }
  return {};
}

Spool::RecoveredPosition Spool::readAckedPosition(SpoolReport* report) {
  namespace fs = std::filesystem;
  // The acknowledged position: the ledger's or the ack slots', whichever is newest (highest generation).
  RecoveredPosition pos;
  bool have_ledger = false;
  std::string ledger_note;
  auto ledger = readLedgerFile(options_.dir);
  if (!ledger) {
    std::string aside = options_.dir + "/ledger.corrupt-" + std::to_string(wallMicros() / 1000000);
    std::error_code ec;
    fs::rename(options_.dir + "/ledger", aside, ec);
    ledger_note = ledger.error().message + ": moved to " + aside;
    ledger_ = Ledger{};
  } else {
    ledger_ = *ledger;
    have_ledger = !ledger_.id.empty();
    if (have_ledger) {
      pos.acked.position = ledger_.acked;
      pos.generation = ledger_.generation;
      pos.epoch = ledger_.epoch;
    }
  }
  bool have_slots = false;
  if (auto bytes = readWholeFile(AckCursor::path(options_.dir)); bytes) {
    AckFileScan scan = scanAckFile(*bytes);
    if (scan.torn > 0) {
      report->notes.push_back("an ack slot is torn (a power loss during its write): the " +
                              std::string(scan.valid > 0 ? "other slot" : "ledger") + " is used");
    }
    if (scan.newest) {
      have_slots = true;
      pos.epoch = std::max(pos.epoch, scan.newest->epoch);
      if (!have_ledger || scan.newest->generation > pos.generation) pos.acked = *scan.newest;
      pos.generation = std::max(pos.generation, scan.newest->generation);
    }
  }
  if (!ledger) {
    report->notes.push_back(ledger_note + (have_slots ? "; the acknowledged position is taken from the ack slots"
                                                      : "; every record in the spool is replayed (duplicates are "
                                                        "possible, losses are not)"));
  }
  return pos;
}

Status Spool::recoverSegment(uint32_t id, bool last, const AckState& acked, SpoolReport* report, uint32_t* next_id,
                             std::set<std::string>* moved_now) {
  namespace fs = std::filesystem;
  const std::string path = segmentPath(id);
  auto bytes = readWholeFile(path);
  if (!bytes) {
    report->notes.push_back(bytes.error().message + ": segment skipped");
    return {};
  }
  SegmentScan scan = scanSegment(*bytes);
  const std::string name = fs::path(path).filename().string();
  if (scan.tail == SegmentScan::Tail::Clean) {
    indexSegment(id, *bytes, scan.records, acked, report, nullptr);
    return {};
  }
  const std::string_view good = std::string_view(*bytes).substr(0, scan.valid_bytes);
  if (scan.tail == SegmentScan::Tail::Torn && last) {
    // A crash during a write: the records before it are whole.
    if (::truncate(path.c_str(), static_cast<off_t>(scan.valid_bytes)) != 0) {
      return posixError("cannot truncate", path, errno);
    }
    report->torn_records += scan.bad_records;
    report->torn_bytes += scan.bad_bytes;
    report->notes.push_back(name + ": " + scan.problem + " (a crash during a write): truncated " +
                            std::to_string(scan.bad_bytes) + " bytes");
    indexSegment(id, good, scan.records, acked, report, nullptr);
    return {};
  }
  quarantineSegment(id, good, scan, acked, report, next_id, moved_now);
  return {};
}

void Spool::quarantineSegment(uint32_t id, std::string_view good, const SegmentScan& scan, const AckState& acked,
                              SpoolReport* report, uint32_t* next_id, std::set<std::string>* moved_now) {
  namespace fs = std::filesystem;
  // Damaged: the segment goes to quarantine as it is (a rename: no space needed), and its good records are
  // replayed from there.
  const std::string path = segmentPath(id);
  const std::string name = fs::path(path).filename().string();
  report->corrupt_records += scan.bad_records;
  report->corrupt_bytes += scan.bad_bytes;
  std::string note = name + ": " + scan.problem + ": skipped " + std::to_string(scan.bad_records) +
                     (scan.bad_records == 1 ? " record (" : " records (") + std::to_string(scan.bad_bytes) +
                     " bytes), ";
  std::string qpath = options_.dir + "/quarantine/" + name + "." + std::to_string(wallMicros() / 1000000);
  std::error_code ec;
  fs::create_directories(options_.dir + "/quarantine", ec);
  if (!ec) fs::rename(path, qpath, ec);
  uint64_t replayed = 0;
  if (ec) {
    // Left where it is; the next start finds (and reports) it again.
    report->notes.push_back(note + "cannot be moved to quarantine (" + ec.message() + "); its good records are " +
                            "replayed from where it is");
    indexSegment(id, good, scan.records, acked, report, &replayed);
    return;
  }
  moved_now->insert(qpath);
  const uint32_t qid = (*next_id)++;
  segments_[qid].quarantined = qpath;
  segments_[qid].good_bytes = scan.valid_bytes;
  indexSegment(qid, good, scan.records, acked, report, &replayed);
  report->quarantined_records += replayed;
  report->notes.push_back(note + "moved to " + qpath +
                          (replayed > 0 ? "; its " + std::to_string(replayed) + " good records are replayed from there"
                                        : std::string()));
  if (replayed == 0) segments_.erase(qid);
}

void Spool::recoverQuarantined(const AckState& acked, const std::set<std::string>& moved_now, SpoolReport* report,
                               uint32_t* next_id) {
  namespace fs = std::filesystem;
  // Segments quarantined by an earlier run may still hold good records not delivered yet.
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(options_.dir + "/quarantine", ec)) {
    const std::string qpath = e.path().string();
    if (!quarantineName(e.path().filename().string()) || moved_now.count(qpath) != 0) continue;
    auto bytes = readWholeFile(qpath);
    if (!bytes) continue;
    SegmentScan scan = scanSegment(*bytes);
    uint64_t replayed = 0;
    const uint32_t qid = (*next_id)++;
    segments_[qid].quarantined = qpath;
    segments_[qid].good_bytes = scan.valid_bytes;
    indexSegment(qid, std::string_view(*bytes).substr(0, scan.valid_bytes), scan.records, acked, report, &replayed);
    if (replayed == 0) {
      resize(segments_[qid], 0);
      segments_.erase(qid);
      continue;
    }
    report->quarantined_records += replayed;
    report->notes.push_back(qpath + ": " + std::to_string(replayed) + " good records not delivered yet are replayed");
  }
}

void Spool::removeReplayedSegments() {
  // Segments with nothing left to replay go now.
  bool removed = false;
  for (auto it = segments_.begin(); it != segments_.end();) {
    if (it->second.live == 0 && it->second.quarantined.empty()) {
      ::unlink(segmentPath(it->first).c_str());
      resize(it->second, 0);
      it = segments_.erase(it);
      removed = true;
    } else {
      ++it;
    }
  }
  if (removed) (void)syncDirectory(options_.dir);
}

}  // namespace sluice
