#pragma once
// A sink's disk spool: segment files of records (spool_format.h) under state_dir/spool/<sink>/, a ledger
// (ledger.h) with the acknowledged position, and quarantine/ for damaged segments.
//
// Order on disk (house rule 7): record data is written and fsynced (sync: batch) before an append is reported
// done; the ledger is replaced atomically; a segment is deleted only once all its records are acknowledged and
// after the ledger that covers them is durable. Records are replayed in sequence order after a restart; those at
// or below the ledger's acknowledged position are not. All blocking I/O runs on the thread pool (DiskJobs);
// only open() blocks, at start-up.
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "agent/buffer/disk_jobs.h"
#include "agent/buffer/ledger.h"
#include "agent/buffer/spool_format.h"
#include "agent/core/bytes.h"
#include "agent/core/result.h"
#include "agent/loop/loop.h"

namespace sluice {

enum class SyncMode { None, Batch, Interval };

struct SpoolOptions {
  std::string dir;
  uint64_t max_bytes = 1ull << 30;                  // buffer.disk
  uint64_t segment_bytes = 0;                       // 0: max_bytes / 16, between 1 MiB and 64 MiB
  SyncMode sync = SyncMode::Batch;
  std::chrono::milliseconds sync_interval{1000};    // sync: interval
  std::chrono::milliseconds ledger_interval{1000};  // how often acknowledgements are persisted
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
  // Bytes on disk, and those still holding unacknowledged records. Fully acknowledged segments are deleted at the
  // next ledger write (at most ledger_interval later, sooner when space runs short); buffer.disk bounds the live
  // bytes.
  uint64_t diskBytes() const { return disk_bytes_; }
  uint64_t liveBytes() const { return disk_bytes_ - dead_bytes_; }
  bool wouldFit(uint64_t data_bytes) const { return liveBytes() + kRecordHeader + data_bytes <= options_.max_bytes; }

  // Appends `data` (a batch's frames) as record `seq`. `done` runs once it is written, and fsynced under
  // sync: batch (within sync_interval under interval). `data` must stay valid until then. Appends are written
  // in call order, many per write and fsync when they queue up.
  void append(uint64_t seq, std::string_view data, uint32_t frames, std::function<void(Status)> done);

  // The reader: unacknowledged records not handed out yet, in sequence order.
  size_t unread() const { return unread_.size(); }
  uint64_t unreadFrames() const { return unread_frames_; }
  // The first unread record's seq, 0 when none.
  uint64_t peekUnread() const { return unread_.empty() ? 0 : unread_.begin()->first; }
  // Hands out record `seq` without reading it (the caller has its bytes in memory).
  void takeUnread(uint64_t seq);
  // Whether readNext() can start now (the first unread record is on disk, no read is running).
  bool canRead() const;
  // Reads the first unread record into `out`; done(status, seq, frames) on the loop. A record whose CRC no
  // longer matches is an error; it is acknowledged (given up) and counted by the caller.
  void readNext(ByteBuffer& out, std::function<void(Status, uint64_t seq, uint32_t frames)> done);

  // Record `seq` is resolved for good (delivered, rejected or dropped on purpose).
  void ack(uint64_t seq);
  // drop_oldest: gives up the oldest unread record; returns its seq and frames (0, 0 when there is none).
  std::pair<uint64_t, uint32_t> dropOldestUnread();

  // Writes the ledger and deletes fully acknowledged segments now; `done` when durable.
  void flush(std::function<void()> done);
  // Finishes every write, persists the ledger, then `done`. Nothing may be appended after.
  void close(std::function<void()> done);
  bool closed() const { return closed_; }

 private:
  struct Entry {
    uint32_t segment = 0;
    uint64_t offset = 0;
    uint32_t len = 0;
    uint32_t frames = 0;
    bool on_disk = false;   // its append has been written
  };
  struct Segment {
    uint64_t size = 0;
    uint32_t live = 0;      // records not acknowledged yet
  };
  struct PendingAppend {
    uint64_t seq;
    uint32_t segment;
    uint64_t offset;
    std::string_view data;
    char header[kRecordHeader];
    std::function<void(Status)> done;
  };
  // State only jobs touch (one at a time, on a worker thread).
  struct WriterState {
    int fd = -1;
    uint32_t segment = 0;
  };

  Spool(Loop& loop, SpoolOptions options);
  Status recover(SpoolReport* report);
  std::string segmentPath(uint32_t id) const;
  uint64_t ackedPosition() const;
  void startAppendJob();
  void finishAppends(std::vector<PendingAppend>& batch, const Status& st);
  void releaseRecord(uint32_t segment);
  void writeLedger(std::function<void()> done);
  static void onSyncTimer(uv_timer_t* timer) noexcept;
  static void onLedgerTimer(uv_timer_t* timer) noexcept;

  Loop& loop_;
  SpoolOptions options_;
  DiskJobs jobs_;
  Ledger ledger_;
  uint64_t persisted_acked_ = 0;
  uint64_t counter_ = 0;
  uint64_t max_seq_ = 0;
  std::map<uint64_t, Entry> unread_;
  std::map<uint64_t, Entry> outstanding_;   // handed out, not acknowledged
  uint64_t unread_frames_ = 0;
  std::map<uint32_t, Segment> segments_;
  uint32_t write_segment_ = 0;              // 0: none yet
  uint32_t next_segment_ = 1;
  uint64_t disk_bytes_ = 0;
  uint64_t dead_bytes_ = 0;                 // in segments with nothing left to deliver
  std::vector<PendingAppend> pending_;      // waiting for the next append job
  bool append_running_ = false;
  std::vector<std::function<void(Status)>> awaiting_sync_;   // sync: interval
  bool reading_ = false;
  bool ledger_dirty_ = false;
  bool ledger_running_ = false;
  bool closed_ = false;
  std::unique_ptr<WriterState> writer_ = std::make_unique<WriterState>();
  UvHandle<uv_timer_t> sync_timer_;
  UvHandle<uv_timer_t> ledger_timer_;
};

}  // namespace sluice
