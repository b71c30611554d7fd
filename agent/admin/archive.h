#pragma once
// The local archive behind GET /logs?after=&before= (shared/seeds/004): every received line is also appended to
// state_dir/archive/, one file per hour of receive time, and deleted after `retention_time` or once the archive
// outgrows `retention_bytes` (the oldest hours first). Windows are by time *received*, and files are only ever
// appended in receive order, so a window that is over returns the same lines in the same order every time.
//
// Off the hot path: add() encodes into a memory buffer; the buffer is written once a second (or per MiB) by a
// job on libuv's thread pool; never an fsync per line. Jobs (writes, retention, reads for queries) run one at a
// time, in order, so a query sees every line received before it was asked. When the disk cannot keep up, lines
// beyond `max_pending` buffered bytes are not archived (counted and logged): the pipeline is never slowed.
#include <uv.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "agent/admin/log_filter.h"
#include "agent/admin/log_format.h"
#include "agent/core/bytes.h"
#include "agent/core/log.h"
#include "agent/core/record.h"
#include "agent/core/result.h"
#include "agent/loop/job_runner.h"
#include "agent/loop/loop.h"

namespace sluice {

class Archive {
 public:
  struct Settings {
    std::string dir;                                   // state_dir/archive
    std::chrono::milliseconds retention_time{7LL * 24 * 3600 * 1000};
    uint64_t retention_bytes = 1ULL << 30;
    size_t max_pending = 16 << 20;                     // buffered, not yet written
    std::chrono::milliseconds flush_interval{1000};
  };

  // One piece of a query's answer.
  struct Chunk {
    std::string body;
    bool done = false;
    std::string error;                                 // an I/O error: the answer is cut short
  };

  // A window query: run() it piece by piece (each piece at most ~4 MiB of output).
  class Query {
   public:
    int64_t after_us = 0;
    int64_t before_us = 0;
    LogFilter filter;
    LogFormat format = LogFormat::Ndjson;
    std::string hostname;
    // Position, advanced by the jobs.
    std::vector<int64_t> hours;                        // partitions to read, oldest first (listed by the first job)
    bool listed = false;
    size_t file_index = 0;
    uint64_t offset = 0;
    uint64_t emitted = 0;                              // lines so far
  };

  Archive(Loop& loop, Settings settings);
  ~Archive();
  Archive(const Archive&) = delete;
  Archive& operator=(const Archive&) = delete;

  // Creates the directory and reads what is there (size, the retention horizon).
  Status open();

  // The hot path: one line from `source` into the memory buffer.
  void add(const Record& record, const LineSource& source);

  // Runs the next piece of `query`; `done` gets it on the loop. Lines buffered now are written first.
  void read(std::shared_ptr<Query> query, std::function<void(Chunk)> done);

  // Lines older than this may be gone: max(now - retention_time, the end of the newest hour deleted for size).
  int64_t horizonUs() const;
  uint64_t diskBytes() const { return disk_bytes_; }
  uint64_t droppedLines() const { return dropped_lines_; }
  uint64_t archivedLines() const { return archived_lines_; }

  // Writes what is buffered; `done` runs once no job is left (shutdown).
  void close(std::function<void()> done);

  struct Job;

 private:
  void seal();
  void flush();
  void enqueue(std::unique_ptr<Job> job);
  static void onFlushTimer(uv_timer_t* timer) noexcept;
  void finished(Job& job);

  Loop& loop_;
  Settings settings_;
  int64_t open_hour_ = INT64_MIN;
  ByteBuffer open_;
  std::vector<std::pair<int64_t, ByteBuffer>> sealed_;   // hour → bytes, not yet handed to a job
  size_t pending_bytes_ = 0;                             // open_ + sealed_ + being written
  bool closing_ = false;
  UvHandle<uv_timer_t> flush_timer_;
  int64_t last_retention_us_ = 0;
  uint64_t disk_bytes_ = 0;
  int64_t size_horizon_us_ = INT64_MIN;
  uint64_t dropped_lines_ = 0;
  uint64_t archived_lines_ = 0;
  RateLimitedLog drop_log_;
  RateLimitedLog error_log_;
  JobRunner jobs_{loop_};  // one at a time, in order; declared last, so it goes first: no completion runs after
};

}  // namespace sluice
