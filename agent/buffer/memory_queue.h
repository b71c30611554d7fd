#pragma once
// The memory part of a sink's buffer: closed batches waiting for a delivery slot, counted in bytes and events,
// and the when_full policy that decides what happens to a batch that does not fit. SinkRunner composes it with
// the disk spool; neither knows about transports.
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>

#include "agent/core/batch.h"

namespace sluice {

// buffer.when_full: what a full buffer does with the next batch.
enum class WhenFull {
  Block,        // accept it and pause the sources (the overshoot is at most one read)
  DropNewest,   // drop the batch that does not fit
  DropOldest,   // drop the oldest queued batches until it fits
};

class MemoryQueue {
 public:
  // At the back; in sequence order when `ordered` (a batch read back from the spool may be older than some here).
  void push(std::unique_ptr<Batch> batch, bool ordered = false);
  std::unique_ptr<Batch> pop();
  const Batch& front() const { return *batches_.front(); }
  bool empty() const { return batches_.empty(); }
  uint64_t bytes() const { return bytes_; }
  uint64_t events() const { return events_; }

  // Whether a batch of `size` bytes may be queued when `held_elsewhere` bytes (in flight, being spooled, the open
  // batch) and this queue's share `limit`: under Block always (the caller pauses its sources), under DropNewest
  // only when it fits, under DropOldest once the oldest queued batches, handed to `dropped`, made room for it.
  bool admit(WhenFull policy, uint64_t size, uint64_t held_elsewhere, uint64_t limit,
             const std::function<void(std::unique_ptr<Batch>)>& dropped);

 private:
  std::deque<std::unique_ptr<Batch>> batches_;
  uint64_t bytes_ = 0;
  uint64_t events_ = 0;
};

}  // namespace sluice
