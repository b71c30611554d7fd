#pragma once
// Frames records into the open batch of one sink and closes it at max_messages, max_bytes or linger, whichever
// comes first. The per-record path is a size check and a copy into the batch's buffer.
#include <chrono>
#include <functional>
#include <memory>
#include <vector>

#include "agent/core/batch.h"
#include "agent/core/clock.h"
#include "agent/core/record.h"
#include "agent/loop/loop.h"
#include "agent/pipeline/rfc5424_framer.h"

namespace sluice {

// When a batch closes: at max_messages, max_bytes or linger after its first record, whichever comes first.
struct BatchLimits {
  uint64_t max_messages = 1000;
  uint64_t max_bytes = 1 << 20;
  std::chrono::milliseconds linger{200};
};

class Batcher {
 public:
  using CloseFn = std::function<void(std::unique_ptr<Batch>)>;
  using OpenFn = std::function<void(Batch&)>;  // may put a first frame (an in-band notice) in a new batch

  Batcher(Loop& loop, const BatchLimits& limits, Rfc5424Framer& framer, CloseFn on_close, OpenFn on_open = {});
  ~Batcher();
  Batcher(const Batcher&) = delete;
  Batcher& operator=(const Batcher&) = delete;

  void append(const Record& record) {
    size_t need = framer_.frameSize(record);
    if (open_ && open_->count > 0 && open_->bytes.size() + need > max_bytes_) close();
    if (!open_) open();
    framer_.append(record, open_->bytes);
    if (record.ack != nullptr && record.ack != open_->last_ack) {
      record.ack->retain();
      open_->acks.push_back(record.ack);
      open_->last_ack = record.ack;
    }
    const int64_t t = record.received_us;  // receive time: latency and windows are by time received
    if (open_->count == 0 || t < open_->first_us) open_->first_us = t;
    if (t > open_->last_us) open_->last_us = t;
    if (++open_->count >= max_messages_) close();
  }

  // Closes the open batch now (shutdown, tests).
  void flush() {
    if (open_ && open_->count > 0) close();
  }
  size_t openBytes() const { return open_ ? open_->bytes.size() : 0; }
  // Opens a batch if none is open (the open hook may put an in-band notice in it).
  void ensureOpen() {
    if (!open_) open();
  }

  // Batches whose buffers can be reused: closing and delivery hand them back here.
  void recycle(std::unique_ptr<Batch> batch);
  // An empty batch, reused when one is spare (the spool reads into it).
  std::unique_ptr<Batch> spare();

 private:
  void open();
  void close();
  static void onLinger(uv_timer_t* timer) noexcept;

  Loop& loop_;
  Rfc5424Framer& framer_;
  CloseFn on_close_;
  OpenFn on_open_;
  size_t max_bytes_;
  uint32_t max_messages_;
  uint64_t linger_ms_;
  std::unique_ptr<Batch> open_;
  size_t last_bytes_ = 0;   // the size of the last batch closed: what a new buffer is sized for
  std::vector<std::unique_ptr<Batch>> spare_;
  UvHandle<uv_timer_t> linger_timer_;
};

}  // namespace sluice
