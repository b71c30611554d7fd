#pragma once
// A sink's disk spool: segment files of records (spool_format.h) under state_dir/spool/<sink>/, the ack slots
// (ack_cursor.h) with the acknowledged position, a ledger (ledger.h) with the spool's identity and epoch, and
// quarantine/ for damaged segments.
//
// Order on disk (house rule 7): record data is written and fsynced (sync: batch) before an append is reported
// done; every acknowledgement is written to an ack slot at once (one pwrite: it survives a crash of the process),
// and the slots are fsynced every ledger_interval; a segment is deleted as soon as all its records are
// acknowledged. That is safe because an acknowledged record is final (delivered, rejected or dropped on purpose):
// if a power loss takes back the last slot writes, the records they covered that are still on disk are sent
// again, and those deleted are not missed. Records are replayed in sequence order after a restart; those
// resolved according to the slots are not. All blocking I/O runs on the thread pool (JobRunner: one job at a time, in order); only open()
// blocks, at start-up, and an acknowledgement costs one pwrite of 160 bytes into the page cache.
//
// A full disk: a write that fails for lack of space is undone (the segment is cut back to its last whole record,
// or removed when empty), the spool says noSpace(), and its owner keeps batches in memory meanwhile. Recovery
// never needs free space: the slots are rewritten in place, a damaged segment is moved to quarantine/ and its good
// records are replayed from there.
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "agent/buffer/ack_cursor.h"
#include "agent/buffer/ledger.h"
#include "agent/buffer/spool_format.h"
#include "agent/buffer/sync_mode.h"
#include "agent/core/bytes.h"
#include "agent/core/log.h"
#include "agent/core/result.h"
#include "agent/loop/job_runner.h"
#include "agent/loop/loop.h"

namespace sluice {

// Below this much free space the disk counts as full.
inline constexpr uint64_t kLowDiskSpace = 64 * 1024;

struct SpoolOptions {
  std::string dir;
  uint64_t max_bytes = 1ull << 30;                  // buffer.disk
  uint64_t segment_bytes = 0;                       // 0: max_bytes / 16, between 1 MiB and 64 MiB
  SyncMode sync = SyncMode::Batch;
  std::chrono::milliseconds sync_interval{1000};    // sync: interval
  std::chrono::milliseconds ledger_interval{1000};  // how often the ack slots are fsynced
  std::chrono::milliseconds no_space_retry{1000};   // after a write failed for lack of space, the next try
  // Problems the spool meets on its own (the ack slots cannot be written, ...), by error type, for the counters.
  std::function<void(const char* error_type)> on_error;
};

// What open() found and did, for the log and the metrics.
struct SpoolReport {
  uint64_t records = 0;            // unacknowledged records to replay
  uint64_t frames = 0;
  uint64_t bytes = 0;
  uint64_t torn_records = 0;       // cut short at the end of the spool by a crash: truncated
  uint64_t torn_bytes = 0;
  uint64_t corrupt_records = 0;    // bad CRC or impossible header: skipped, segment quarantined
  uint64_t corrupt_bytes = 0;
  uint64_t quarantined_records = 0;  // good records of quarantined segments, replayed from quarantine/
  bool disk_full = false;          // the disk had no room at start
  uint64_t free_bytes = 0;
  std::vector<std::string> notes;  // one line per problem
};

class Spool {
 public:
  static Result<std::unique_ptr<Spool>> open(Loop& loop, SpoolOptions options, SpoolReport* report);
  ~Spool();
  Spool(const Spool&) = delete;
  Spool& operator=(const Spool&) = delete;

  const std::string& id() const { return ledger_.id; }
  // Sequence numbers of this run: above every number of the runs before it.
  uint64_t nextSeq() { return (static_cast<uint64_t>(ledger_.epoch) << 40) | ++counter_; }

  uint64_t maxBytes() const { return options_.max_bytes; }
  // Bytes on disk, and those still holding unacknowledged records (segments being deleted are not live).
  uint64_t diskBytes() const { return disk_bytes_; }
  uint64_t liveBytes() const { return disk_bytes_ - dead_bytes_; }
  bool wouldFit(uint64_t data_bytes) const { return liveBytes() + kRecordHeader + data_bytes <= options_.max_bytes; }

  // The disk had no room for the last write (or less than kLowDiskSpace at start). It has again once a deletion
  // leaves kLowDiskSpace free, or a write succeeds. accepting() says whether to try a write now: with room, or
  // no_space_retry after the last failure.
  bool noSpace() const { return no_space_; }
  bool accepting() const;

  // Appends `data` (a batch's frames) as record `seq`. `done` runs once it is written, and fsynced under
  // sync: batch (within sync_interval under interval). `data` must stay valid until then. Appends are written
  // in call order, many per write and fsync when they queue up. When a write fails, it and every append queued
  // behind it fail (their records are not in the spool; the caller keeps them).
  void append(uint64_t seq, std::string_view data, uint32_t frames, std::function<void(Status)> done);

  // The reader: unacknowledged records not handed out yet, in sequence order.
  size_t unread() const { return unread_.size(); }
  uint64_t unreadFrames() const { return unread_frames_; }
  // Frames not acknowledged yet, unread or handed out: after close(), what the next start sends.
  uint64_t heldFrames() const {
    uint64_t n = unread_frames_;
    for (const auto& [seq, e] : outstanding_) n += e.frames;
    return n;
  }
  // The first unread record's seq, 0 when none.
  uint64_t peekUnread() const { return unread_.empty() ? 0 : unread_.begin()->first; }
  // Hands out record `seq` without reading it (the caller has its bytes in memory).
  void takeUnread(uint64_t seq);
  // Whether readNext() can start now (the first unread record is on disk, no read is running).
  bool canRead() const;
  // Reads the first unread record into `out`; done(status, seq, frames) on the loop. A record whose CRC no
  // longer matches is an error; it is acknowledged (given up) and counted by the caller.
  void readNext(ByteBuffer& out, std::function<void(Status, uint64_t seq, uint32_t frames)> done);

  // Record `seq` is resolved for good (delivered, rejected or dropped on purpose): written to an ack slot now.
  void ack(uint64_t seq);
  // drop_oldest: gives up the oldest unread record; returns its seq and frames (0, 0 when there is none).
  std::pair<uint64_t, uint32_t> dropOldestUnread();

  // fsyncs the ack slots and finishes deleting acknowledged segments; `done` when durable.
  void flush(std::function<void()> done);
  // Finishes every write, fsyncs the data and the ack slots, then `done`. Nothing may be appended after.
  void close(std::function<void()> done);
  bool closed() const { return closed_; }
  bool idle() const { return jobs_.idle(); }  // no disk work queued or running

 private:
  struct Entry {
    uint32_t segment = 0;
    uint64_t offset = 0;
    uint32_t len = 0;
    uint32_t frames = 0;
    bool on_disk = false;   // its append has been written
  };
  struct Segment {
    uint64_t size = 0;        // bytes written or being written
    uint32_t live = 0;        // records not acknowledged yet
    bool deleting = false;    // every record acknowledged: being deleted
    std::string quarantined;  // a damaged segment's path in quarantine/: read from there, never written
    uint64_t good_bytes = 0;  // quarantined: its readable prefix (given back once replayed)
  };
  struct PendingAppend {
    uint64_t seq;
    uint32_t segment;
    uint64_t offset;
    std::string_view data;
    char header[kRecordHeader];
    bool step_back;           // the ack slots were stepped back for it: fsync them with the data
    std::function<void(Status)> done;
  };
  // State only jobs touch (one at a time, on a worker thread).
  struct WriterState {
    int fd = -1;
    uint32_t segment = 0;
  };

  Spool(Loop& loop, SpoolOptions options);
  // spool_recover.cc
  struct RecoveredPosition {
    AckState acked;
    uint64_t generation = 0;
    uint32_t epoch = 0;
  };
  Status recover(SpoolReport* report);
  RecoveredPosition readAckedPosition(SpoolReport* report);
  // `last`: the newest segment, the one a crash may have cut short.
  Status recoverSegment(uint32_t id, bool last, const AckState& acked, SpoolReport* report, uint32_t* next_id,
                        std::set<std::string>* moved_now);
  void quarantineSegment(uint32_t id, std::string_view good, const SegmentScan& scan, const AckState& acked,
                         SpoolReport* report, uint32_t* next_id, std::set<std::string>* moved_now);
  void recoverQuarantined(const AckState& acked, const std::set<std::string>& moved_now, SpoolReport* report,
                          uint32_t* next_id);
  void removeReplayedSegments();
  void indexSegment(uint32_t id, std::string_view bytes, const std::vector<ScannedRecord>& records,
                    const AckState& acked, SpoolReport* report, uint64_t* indexed);
  void openCursor(const AckState& acked, uint64_t generation, SpoolReport* report);

  static std::string segmentPathIn(const std::string& dir, uint32_t id);
  std::string segmentPath(uint32_t id) const { return segmentPathIn(options_.dir, id); }
  std::string pathOf(uint32_t id) const;
  uint64_t ackedPosition() const;
  AckState cursorState() const;
  void writeCursor();
  // spool_append.cc
  struct AppendJob;  // the work of one append job, on a worker thread
  void startAppendJob();
  void appendJobDone(std::vector<PendingAppend>& batch, size_t kept, const Status& st);
  // `all`: the whole job was written (else a failure follows for the rest).
  void finishAppends(std::vector<PendingAppend>& batch, bool all);
  // Gives back the failed records' place in their segments (their done callbacks are the caller's to run).
  void undoAppends(std::vector<PendingAppend>& batch, const Status& st);
  void releaseRecord(uint32_t segment);
  void retire(uint32_t segment);
  void resize(Segment& seg, uint64_t size);
  void noteError(const char* type, const std::string& message);  // counted and logged
  void countError(const char* type) {
    if (options_.on_error) options_.on_error(type);
  }
  void syncCursor(std::function<void()> done);
  static void onSyncTimer(uv_timer_t* timer) noexcept;
  static void onLedgerTimer(uv_timer_t* timer) noexcept;

  Loop& loop_;
  SpoolOptions options_;
  JobRunner jobs_;  // one at a time and in order: writes never overtake each other
  Ledger ledger_;
  AckCursor cursor_;
  std::set<uint64_t> acked_above_;          // acknowledged seqs above the contiguous acknowledged prefix
  bool cursor_dirty_ = false;               // written since the last fsync
  bool cursor_opening_ = false;
  bool dir_dirty_ = false;                  // segments deleted since the directory's last fsync
  uint64_t counter_ = 0;
  uint64_t max_seq_ = 0;
  std::map<uint64_t, Entry> unread_;
  std::map<uint64_t, Entry> outstanding_;   // handed out, not acknowledged
  uint64_t unread_frames_ = 0;
  std::map<uint32_t, Segment> segments_;
  uint32_t write_segment_ = 0;              // 0: none yet
  uint32_t next_segment_ = 1;
  uint64_t disk_bytes_ = 0;
  uint64_t dead_bytes_ = 0;                 // in segments being deleted
  std::vector<PendingAppend> pending_;      // waiting for the next append job
  bool append_running_ = false;
  std::vector<std::function<void(Status)>> awaiting_sync_;   // sync: interval
  bool reading_ = false;
  bool syncing_ = false;
  bool closed_ = false;
  bool no_space_ = false;
  std::chrono::steady_clock::time_point no_space_at_{};
  RateLimitedLog error_log_;
  std::unique_ptr<WriterState> writer_ = std::make_unique<WriterState>();
  UvHandle<uv_timer_t> sync_timer_;
  UvHandle<uv_timer_t> ledger_timer_;
};

}  // namespace sluice
