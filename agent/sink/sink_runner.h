#pragma once
// The core of one sink: framer → batcher → buffer (memory, bounded in bytes, and an optional disk spool) →
// transport, with retries (exponential backoff, full jitter, Retry-After), at most max_in_flight batches
// outstanding and in order otherwise, the when_full policy and acknowledgements. Transports only move bytes;
// everything about delivery lives here, for every plugin.
//
// With a spool (buffer.disk > 0):
//   overflow  batches stay in memory; once memory is full they go to the spool, and so does everything after
//             them until the spool is read empty again (order is kept). At shutdown what is left is spooled.
//   always    every batch is written (and fsynced, per buffer.sync) before its sources are acknowledged; memory
//             only holds those next in line, so nothing is read back from disk unless memory ran short.
#include <deque>
#include <functional>
#include <list>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "agent/buffer/memory_queue.h"
#include "agent/buffer/spool.h"
#include "agent/core/counters.h"
#include "agent/core/log.h"
#include "agent/loop/loop.h"
#include "agent/pipeline/batcher.h"
#include "agent/pipeline/rfc5424_framer.h"
#include "agent/pipeline/router.h"
#include "agent/sink/transport.h"
#include "agent/sink/sink_options.h"

namespace sluice {

// Retry delay for attempt n (1-based): uniform in [0, min(max, initial * 2^(n-1))] ("full jitter"), and never
// less than a server-given Retry-After.
std::chrono::milliseconds backoffDelay(std::chrono::milliseconds initial, std::chrono::milliseconds max,
                                       uint32_t attempt, std::chrono::milliseconds retry_after,
                                       std::mt19937_64& rng);

class SinkRunner final : public LineSink {
 public:
  SinkRunner(Loop& loop, SinkSettings settings, std::string hostname, std::string token,
             std::unique_ptr<SinkTransport> transport);
  ~SinkRunner() override;
  SinkRunner(const SinkRunner&) = delete;
  SinkRunner& operator=(const SinkRunner&) = delete;

  // Opens the spool (when buffer.disk > 0) under `<state_dir>/spool/<name>`, replaying what it holds before any
  // new data. Blocking; call once, before the first record. Problems with the spool's content are reported in
  // the log and the counters, never fatal; an unusable directory is an error.
  Status openSpool(const std::string& state_dir);

  const std::string& name() const { return settings_.name; }
  // The start line: the type, what the transport says it does, and the spool when there is one.
  std::string describe() const;
  const SinkSettings& settings() const { return settings_; }
  void onPressure(PressureFn fn) override { pressure_ = std::move(fn); }
  bool holdingSources() const override { return full_ && settings_.when_full == WhenFull::Block; }

  // The hot path: one record into the open batch.
  void append(const Record& record) override {
    ++counters_.received_events;
    batcher_.append(record);
  }
  void flush() override { batcher_.flush(); }
  void forgetSource(uint32_t source_id) override { framer_.forgetSource(source_id); }

  // Flushes, then waits until everything queued is delivered; after `timeout` what is left goes to the spool
  // (or, without one, is given up: counted as dropped, reason "shutdown"). `done` runs on a later turn.
  void drain(std::chrono::milliseconds timeout, std::function<void()> done);
  // Gives up waiting now: what is queued or in flight is spooled (or dropped without a spool); a drain in
  // progress then completes.
  void giveUp() { abandon(); }
  // Stops the transport and timers and closes the spool; `done` runs once all of it is closed.
  void stop(std::function<void()> done);
  void reopen() { transport_->reopen(); }

  bool full() const { return full_; }
  bool hasSpool() const { return spool_ != nullptr; }
  uint64_t bufferedBytes() const { return queue_.bytes() + inflight_bytes_ + spilling_bytes_ + batcher_.openBytes(); }
  uint64_t bufferedEvents() const { return queue_.events() + inflight_events_ + (spool_ ? spool_->unreadFrames() : 0); }
  uint64_t spoolBytes() const { return spool_ ? spool_->liveBytes() : 0; }
  // The spool's disk has no room: batches wait in memory meanwhile.
  bool spoolDiskFull() const { return spool_ && spool_->noSpace(); }
  const ComponentCounters& counters() const { return counters_; }
  const LatencyHistogram& latency() const { return latency_; }
  // Messages that will never be delivered: rejected, dropped by policy, corrupt in the spool, or given up at
  // shutdown without a spool.
  uint64_t lost() const { return counters_.droppedTotal(); }
  // Messages in the spool, not acknowledged: once stopped, what the next start delivers.
  uint64_t spooledEvents() const { return spool_ ? spool_->heldFrames() : 0; }
  // A reload restarts a sink as a new runner: it keeps counting from where the old one was.
  void carryOver(const ComponentCounters& counters, const LatencyHistogram& latency) {
    counters_.add(counters);
    latency_.add(latency);
  }
  // Since when deliveries fail (wall µs; 0 while the last answer was a success), and why: for /healthz.
  int64_t failingSinceUs() const { return failing_since_us_; }
  const std::string& lastError() const { return last_error_; }

 private:
  struct Flight {
    SinkRunner* runner = nullptr;
    std::unique_ptr<Batch> batch;
    uint32_t attempts = 0;
    bool sending = false;
    UvHandle<uv_timer_t> retry_timer;
  };

  void onBatchClosed(std::unique_ptr<Batch> batch);
  void onBatchOpened(Batch& batch);
  void enqueue(std::unique_ptr<Batch> batch);
  void dropBatch(std::unique_ptr<Batch> batch, const char* reason);
  void pump();
  void send(Flight& flight);
  void onOutcome(Flight& flight, Outcome outcome);
  void finishFlight(Flight& flight, bool ok);
  // A batch that will not be delivered in this run: spooled (or kept spooled), else dropped as "shutdown".
  void setAside(std::unique_ptr<Batch> batch);
  void updatePressure();
  void checkDrained();
  void abandon();
  static void onRetryTimer(uv_timer_t* timer) noexcept;
  static void onDrainTimer(uv_timer_t* timer) noexcept;

  // sink_runner_spool.cc
  bool spoolFirst() const;
  bool olderInSpool() const;
  void enqueueToSpool(std::unique_ptr<Batch> batch);
  void spill(std::unique_ptr<Batch> batch);
  void onSpilled(Batch* batch, Status status);
  void readFromSpool();
  void reportSpool(const SpoolReport& report);

  Loop& loop_;
  SinkSettings settings_;
  std::unique_ptr<SinkTransport> transport_;
  Rfc5424Framer framer_;
  Batcher batcher_;
  PressureFn pressure_;

  MemoryQueue queue_;
  std::vector<std::unique_ptr<Flight>> flights_;
  uint64_t inflight_bytes_ = 0;
  uint64_t inflight_events_ = 0;
  uint64_t next_seq_ = 1;
  std::string run_id_;
  bool full_ = false;
  bool pumping_ = false;
  bool pump_again_ = false;

  // The spool, and batches being written to it.
  std::unique_ptr<Spool> spool_;
  std::list<std::unique_ptr<Batch>> spilling_;
  uint64_t spilling_bytes_ = 0;
  bool reading_spool_ = false;
  std::map<uint64_t, uint64_t> spooled_notices_;   // seq -> drops its in-band notice reports
  RateLimitedLog spool_log_;

  // Drops not yet reported in-band.
  uint64_t pending_drops_ = 0;
  int64_t pending_drops_since_us_ = 0;
  std::string pending_drops_reason_;
  SourceInfo notice_source_;

  bool draining_ = false;
  bool abandoned_ = false;
  bool stopped_ = false;
  bool transport_stopped_ = false;
  std::vector<std::function<void()>> stop_waiters_;
  std::function<void()> drain_done_;
  UvHandle<uv_timer_t> drain_timer_;

  ComponentCounters counters_;
  LatencyHistogram latency_;
  int64_t failing_since_us_ = 0;
  std::string last_error_;
  std::mt19937_64 rng_;
  std::set<int> rejected_codes_logged_;
  RateLimitedLog retry_log_;
  RateLimitedLog drop_log_;
};

}  // namespace sluice
