// The spool side of SinkRunner: writing batches to disk, taking them back into memory, reading them back.
#include <algorithm>

#include "agent/buffer/spool_io.h"
#include "agent/core/units.h"
#include "agent/sink/sink_runner.h"

namespace sluice {

Status SinkRunner::openSpool(const std::string& state_dir) {
  if (settings_.buffer_disk == 0) return {};
  SpoolOptions o;
  o.dir = state_dir + "/spool/" + settings_.name;
  o.max_bytes = settings_.buffer_disk;
  o.sync = settings_.buffer_sync;
  o.sync_interval = settings_.buffer_sync_interval;
  o.on_error = [this](const char* error_type) { counters_.errors[error_type] += 1; };
  SpoolReport report;
  auto spool = Spool::open(loop_, o, &report);
  if (!spool) return makeError("sink " + settings_.name + ": " + spool.error().message);
  spool_ = std::move(*spool);
  run_id_ = spool_->id();  // frame ids of spooled batches stay the same across restarts
  reportSpool(report);
  if (spool_->unread() > 0) loop_.post([this] { pump(); });  // what an earlier run left goes first
  return {};
}

void SinkRunner::reportSpool(const SpoolReport& r) {
  for (const std::string& note : r.notes) spdlog::warn("sink {}: spool: {}", settings_.name, note);
  if (r.records > 0) {
    spdlog::info("sink {}: the spool holds {} ({}, {}) from an earlier run; they are delivered first",
                 settings_.name, countOf(r.records, "batch", "batches"), countOf(r.frames, "message"),
                 formatSize(r.bytes));
  }
  if (r.disk_full) {
    spdlog::warn("sink {}: the disk holding its spool is full ({} free): new batches are kept in memory "
                 "(buffer.memory) until the spool has room again; what the spool holds is delivered",
                 settings_.name, formatSize(r.free_bytes));
  }
  // A record torn by a crash was never acknowledged to its source (it is read again); a corrupt one was, and is
  // lost. Both are counted in records: their messages cannot be counted.
  if (r.torn_records > 0) counters_.errors["spool_torn_records"] += r.torn_records;
  if (r.corrupt_records > 0) {
    counters_.errors["spool_corrupt_records"] += r.corrupt_records;
    counters_.dropped["spool_corrupt"] += r.corrupt_records;
  }
}

bool SinkRunner::spoolFirst() const {
  // always: everything goes through the spool. overflow: once anything waits on disk, what follows waits
  // behind it, so that order is kept. Neither while the disk is full: then batches wait in memory.
  if (!spool_->accepting()) return false;
  return settings_.buffer_mode == BufferMode::Always || spool_->unread() > 0 || !spilling_.empty();
}

bool SinkRunner::olderInSpool() const {
  // Only after batches waited in memory while the disk was full: the spool's are older, and go first.
  return spool_ && !queue_.empty() && spool_->unread() > 0 && spool_->peekUnread() < queue_.front().seq &&
         (reading_spool_ || spool_->canRead());
}

void SinkRunner::enqueueToSpool(std::unique_ptr<Batch> batch) {
  const uint64_t size = batch->bytes.size();
  const bool notice_only = batch->count == 1 && batch->reported_drops > 0;
  if (!notice_only && !spool_->wouldFit(size)) {
    if (settings_.when_full == WhenFull::DropNewest) {
      dropBatch(std::move(batch), "buffer_full");
      updatePressure();
      return;
    }
    if (settings_.when_full == WhenFull::DropOldest) {
      while (!spool_->wouldFit(size) && spool_->unread() > 0) {
        const uint64_t when = wallMicros();
        auto [seq, frames] = spool_->dropOldestUnread();
        // A dropped record may carry an in-band notice: not a message of the user's, and its count is owed again.
        uint64_t reported = 0;
        if (auto n = spooled_notices_.find(seq); n != spooled_notices_.end()) {
          reported = n->second;
          frames -= 1;
          spooled_notices_.erase(n);
        }
        counters_.dropped["buffer_full"] += frames;
        if (pending_drops_ == 0) pending_drops_since_us_ = when;
        pending_drops_ += frames + reported;
        pending_drops_reason_ = "buffer full, drop_oldest";
      }
      if (!spool_->wouldFit(size)) {
        dropBatch(std::move(batch), "buffer_full");
        updatePressure();
        return;
      }
    }
    // Block: write it; the sources are paused by updatePressure and the overshoot is at most one read.
  }
  spill(std::move(batch));
}

void SinkRunner::spill(std::unique_ptr<Batch> batch) {
  Batch* b = batch.get();
  // drop_oldest may drop the record before it is even written: its notice must be known from now on.
  if (b->reported_drops > 0) spooled_notices_[b->seq] = b->reported_drops;
  spilling_bytes_ += b->bytes.size();
  spilling_.push_back(std::move(batch));
  spool_->append(b->seq, b->bytes.view(), b->count, [this, b](Status st) { onSpilled(b, std::move(st)); });
  updatePressure();
}

void SinkRunner::onSpilled(Batch* b, Status st) {
  auto it = std::find_if(spilling_.begin(), spilling_.end(), [b](const auto& p) { return p.get() == b; });
  std::unique_ptr<Batch> batch = std::move(*it);
  spilling_.erase(it);
  spilling_bytes_ -= batch->bytes.size();
  if (!st) {
    // The disk failed: carry on from memory. The sources keep waiting for delivery instead.
    counters_.errors[isNoSpace(st.error()) ? "spool_no_space" : "spool_write"] += 1;
    uint64_t suppressed = 0;
    if (spool_log_.allow(&suppressed)) {
      spdlog::error("sink {}: cannot write to the spool ({}); keeping batches in memory", settings_.name,
                    st.error().message);
    }
    if (abandoned_) {
      dropBatch(std::move(batch), "shutdown");
    } else {
      queue_.push(std::move(batch));
      pump();
    }
    updatePressure();
    checkDrained();
    return;
  }
  batch->spooled = true;
  batch->resolveAcks(true);  // durably spooled: its sources may move on
  const uint64_t size = batch->bytes.size();
  if (!abandoned_ && !stopped_ && spool_->peekUnread() == batch->seq &&
      bufferedBytes() + size <= settings_.buffer_memory) {
    // Next in line and room in memory: send it from here rather than read it back.
    spool_->takeUnread(batch->seq);
    queue_.push(std::move(batch));
  } else {
    batcher_.recycle(std::move(batch));
  }
  updatePressure();
  pump();
  checkDrained();
}

void SinkRunner::readFromSpool() {
  if (reading_spool_ || !spool_->canRead()) return;
  // The next record is one we still hold in memory (its write is finishing): it is taken from there.
  if (!spilling_.empty() && spilling_.front()->seq <= spool_->peekUnread()) return;
  if (bufferedBytes() >= settings_.buffer_memory && !olderInSpool()) return;
  reading_spool_ = true;
  auto holder = std::make_shared<std::unique_ptr<Batch>>(batcher_.spare());
  Batch& target = **holder;
  spool_->readNext(target.bytes, [this, holder](Status st, uint64_t seq, uint32_t frames) {
    reading_spool_ = false;
    std::unique_ptr<Batch> batch = std::move(*holder);
    if (!st) {
      counters_.dropped["spool_corrupt"] += frames;
      counters_.errors["spool_read"] += 1;
      spool_->ack(seq);
      spdlog::error("sink {}: {}: {} skipped", settings_.name, st.error().message, countOf(frames, "message"));
      batcher_.recycle(std::move(batch));
      pump();
      checkDrained();
      return;
    }
    batch->seq = seq;
    batch->count = frames;
    if (auto n = spooled_notices_.find(seq); n != spooled_notices_.end()) batch->reported_drops = n->second;
    batch->frame_id = run_id_ + "-" + std::to_string(seq);
    batch->spooled = true;
    batch->first_us = batch->last_us = wallMicros();
    if (abandoned_ || stopped_) {
      batcher_.recycle(std::move(batch));  // still on disk, not acknowledged: the next start sends it
      checkDrained();
      return;
    }
    queue_.push(std::move(batch), true);
    pump();
    checkDrained();
  });
}

}  // namespace sluice
