#include "agent/sink/sink_runner.h"

#include <algorithm>
#include <cinttypes>

#include "agent/core/units.h"

namespace sluice {
namespace {

std::string randomHex(std::mt19937_64& rng) {
  char buf[17];
  snprintf(buf, sizeof buf, "%016" PRIx64, rng());
  return buf;
}

std::string errorType(const Outcome& o) { return o.code > 0 ? "http_" + std::to_string(o.code) : "transport"; }

// The user's messages in a batch (an in-band notice is ours).
uint64_t userMessages(const Batch& b) { return b.count - (b.reported_drops > 0 ? 1 : 0); }

}  // namespace

std::chrono::milliseconds backoffDelay(std::chrono::milliseconds initial, std::chrono::milliseconds max,
                                       uint32_t attempt, std::chrono::milliseconds retry_after,
                                       std::mt19937_64& rng) {
  int64_t cap = initial.count();
  for (uint32_t i = 1; i < attempt && cap < max.count(); ++i) cap *= 2;
  cap = std::min<int64_t>(cap, max.count());
  std::uniform_int_distribution<int64_t> dist(0, std::max<int64_t>(cap, 0));
  int64_t delay = dist(rng);
  return std::chrono::milliseconds(std::max<int64_t>(delay, retry_after.count()));
}

SinkRunner::SinkRunner(Loop& loop, SinkSettings settings, std::string hostname, std::string token,
                       std::unique_ptr<SinkTransport> transport)
    : loop_(loop),
      settings_(std::move(settings)),
      transport_(std::move(transport)),
      framer_(settings_.message, std::move(hostname), std::move(token)),
      batcher_(
          loop, settings_.batch, framer_, [this](std::unique_ptr<Batch> b) { onBatchClosed(std::move(b)); },
          [this](Batch& b) { onBatchOpened(b); }),
      rng_(std::random_device{}()) {
  run_id_ = randomHex(rng_);
  transport_->attachCounters(&counters_);
  notice_source_.id = UINT32_MAX - 2;
  notice_source_.name = "sluice";
  notice_source_.type = "internal";
  for (uint64_t i = 0; i < settings_.max_in_flight; ++i) {
    auto f = std::make_unique<Flight>();
    f->runner = this;
    f->retry_timer.init(f.get(), [&](uv_timer_t* t) { return uv_timer_init(loop_.get(), t); });
    flights_.push_back(std::move(f));
  }
  drain_timer_.init(this, [&](uv_timer_t* t) { return uv_timer_init(loop_.get(), t); });
}

SinkRunner::~SinkRunner() = default;

void SinkRunner::onBatchClosed(std::unique_ptr<Batch> batch) {
  batch->seq = spool_ ? spool_->nextSeq() : next_seq_++;
  batch->frame_id = run_id_ + "-" + std::to_string(batch->seq);
  if (abandoned_) {
    setAside(std::move(batch));
    return;
  }
  enqueue(std::move(batch));
}

void SinkRunner::onBatchOpened(Batch& batch) {
  if (pending_drops_ == 0 || abandoned_) return;
  TimestampFormatter ts;
  std::string text = "sluice: " + std::to_string(pending_drops_) + " messages dropped (" + pending_drops_reason_ +
                     ") since " + ts.format(pending_drops_since_us_);
  Record notice;
  notice.message = text;
  notice.received_us = wallMicros();
  notice.source = &notice_source_;
  notice.severity = Severity::Warning;
  framer_.append(notice, batch.bytes);
  batch.count += 1;
  batch.first_us = batch.last_us = notice.received_us;
  batch.reported_drops = pending_drops_;
  pending_drops_ = 0;
  pending_drops_since_us_ = 0;
}

void SinkRunner::enqueue(std::unique_ptr<Batch> batch) {
  if (spool_ && spoolFirst()) {
    enqueueToSpool(std::move(batch));
    return;
  }
  const uint64_t size = batch->bytes.size();
  // A batch holding nothing but an in-band notice is never dropped: it is small and it is how the loss is told.
  const bool notice_only = batch->count == 1 && batch->reported_drops > 0;
  if (!notice_only && bufferedBytes() + size > settings_.buffer_memory) {
    if (spool_ && spool_->accepting()) {  // overflow: memory is full, the spool takes it (and what follows)
      enqueueToSpool(std::move(batch));
      return;
    }
    const uint64_t elsewhere = bufferedBytes() - queue_.bytes();
    if (!queue_.admit(settings_.when_full, size, elsewhere, settings_.buffer_memory,
                      [this](std::unique_ptr<Batch> old) { dropBatch(std::move(old), "buffer_full"); })) {
      dropBatch(std::move(batch), "buffer_full");
      updatePressure();
      return;
    }
    // Block: accepted; the sources are paused below and the overshoot is at most one read.
  }
  queue_.push(std::move(batch));
  updatePressure();
  pump();
}

void SinkRunner::dropBatch(std::unique_ptr<Batch> batch, const char* reason) {
  const uint64_t messages = userMessages(*batch);
  counters_.dropped[reason] += messages;
  if (std::string_view(reason) == "buffer_full") {
    // Reported in-band at the start of a later batch, like logplex's L10; a lost notice is reported again.
    if (pending_drops_ == 0) pending_drops_since_us_ = batch->first_us != 0 ? batch->first_us : wallMicros();
    pending_drops_ += messages + batch->reported_drops;
    pending_drops_reason_ = settings_.when_full == WhenFull::DropOldest ? "buffer full, drop_oldest"
                                                                        : "buffer full, drop_newest";
  }
  if (batch->spooled) {
    spool_->ack(batch->seq);
    spooled_notices_.erase(batch->seq);
  }
  // Dropped on purpose (counted, reported): the source may move on. Given up at shutdown: it must read again.
  batch->resolveAcks(std::string_view(reason) != "shutdown");
  uint64_t suppressed = 0;
  if (drop_log_.allow(&suppressed)) {
    std::string why(reason);
    std::replace(why.begin(), why.end(), '_', ' ');  // "buffer full", not the counter's key
    spdlog::warn("sink {}: dropped {} ({}); {} dropped in total{}", settings_.name, countOf(messages, "message"), why,
                 countOf(counters_.droppedTotal(), "message"),
                 suppressedNote(suppressed));
  }
  batcher_.recycle(std::move(batch));
}

void SinkRunner::pump() {
  if (pumping_) {
    pump_again_ = true;
    return;
  }
  pumping_ = true;
  do {
    pump_again_ = false;
    bool free_slot = false;
    for (auto& f : flights_) {
      if (stopped_ || abandoned_) break;
      if (f->batch) continue;
      if (queue_.empty() || olderInSpool()) {
        free_slot = true;
        break;
      }
      f->batch = queue_.pop();
      const uint64_t size = f->batch->bytes.size();
      inflight_bytes_ += size;
      inflight_events_ += f->batch->count;
      f->attempts = 0;
      send(*f);
    }
    if (free_slot && spool_ && !stopped_ && !abandoned_) readFromSpool();
  } while (pump_again_);
  pumping_ = false;
}

void SinkRunner::send(Flight& flight) {
  flight.sending = true;
  ++flight.attempts;
  Flight* fp = &flight;
  transport_->deliver(*flight.batch, [this, fp](Outcome outcome) { onOutcome(*fp, std::move(outcome)); });
}

void SinkRunner::onOutcome(Flight& flight, Outcome outcome) {
  flight.sending = false;
  Batch& batch = *flight.batch;
  if (outcome.verdict == Verdict::Delivered) {
    failing_since_us_ = 0;
  } else {
    if (failing_since_us_ == 0) failing_since_us_ = wallMicros();
    last_error_ = outcome.reason;
  }
  switch (outcome.verdict) {
    case Verdict::Delivered: {
      counters_.sent_events += batch.count;
      counters_.sent_bytes += batch.bytes.size();
      counters_.sent_batches += 1;
      double age = static_cast<double>(wallMicros() - batch.first_us) / 1e6;
      latency_.observe(age < 0 ? 0 : age, batch.count);
      finishFlight(flight, true);
      return;
    }
    case Verdict::Rejected: {
      counters_.errors["rejected_" + errorType(outcome)] += 1;
      counters_.dropped["rejected"] += userMessages(batch);
      if (rejected_codes_logged_.insert(outcome.code).second) {
        spdlog::error("sink {}: the receiver rejected a batch of {}, which will not be retried: {} "
                      "(further rejections with this status are only counted)",
                      settings_.name, countOf(batch.count, "message"), outcome.reason);
      }
      finishFlight(flight, true);  // will never be delivered: counted as lost, not read again
      return;
    }
    case Verdict::Retry:
      break;
  }
  counters_.errors[errorType(outcome)] += 1;
  if (abandoned_ || stopped_) {
    inflight_bytes_ -= batch.bytes.size();
    inflight_events_ -= batch.count;
    setAside(std::move(flight.batch));
    flight.attempts = 0;
    checkDrained();
    return;
  }
  counters_.retries += 1;
  auto delay = backoffDelay(settings_.retry_initial, settings_.retry_max, flight.attempts, outcome.retry_after, rng_);
  uint64_t suppressed = 0;
  if (retry_log_.allow(&suppressed)) {
    spdlog::warn("sink {}: delivery failed ({}); retrying batch {} in {} (attempt {}){}", settings_.name,
                 outcome.reason, batch.frame_id, formatDuration(delay), flight.attempts + 1,
                 suppressedNote(suppressed));
  }
  uv_timer_start(flight.retry_timer.get(), &SinkRunner::onRetryTimer, static_cast<uint64_t>(delay.count()), 0);
}

void SinkRunner::onRetryTimer(uv_timer_t* timer) noexcept {
  Flight* flight = ownerOf<Flight>(timer);
  if (flight == nullptr || !flight->batch) return;
  SinkRunner* self = flight->runner;
  if (self->abandoned_ || self->stopped_) {
    self->inflight_bytes_ -= flight->batch->bytes.size();
    self->inflight_events_ -= flight->batch->count;
    self->setAside(std::move(flight->batch));
    self->checkDrained();
    return;
  }
  self->send(*flight);
}

void SinkRunner::finishFlight(Flight& flight, bool ok) {
  if (flight.batch->spooled) {
    spool_->ack(flight.batch->seq);
    spooled_notices_.erase(flight.batch->seq);
  }
  flight.batch->resolveAcks(ok);
  inflight_bytes_ -= flight.batch->bytes.size();
  inflight_events_ -= flight.batch->count;
  batcher_.recycle(std::move(flight.batch));
  flight.attempts = 0;
  updatePressure();
  pump();
  checkDrained();
}

void SinkRunner::setAside(std::unique_ptr<Batch> batch) {
  if (batch->spooled) {
    // Already on disk and not acknowledged: the next start delivers it.
    batcher_.recycle(std::move(batch));
    return;
  }
  if (spool_ && !spool_->closed()) {
    spill(std::move(batch));
    return;
  }
  dropBatch(std::move(batch), "shutdown");
}

void SinkRunner::updatePressure() {
  bool over, under;
  if (spool_ && !spool_->noSpace()) {
    // Memory overflows to disk; it is the disk (or a disk that cannot keep up) that makes the sources wait.
    over = spool_->liveBytes() >= spool_->maxBytes() || spilling_bytes_ >= settings_.buffer_memory;
    under = spool_->liveBytes() <= spool_->maxBytes() / 10 * 9 && spilling_bytes_ <= settings_.buffer_memory / 2;
  } else {
    over = bufferedBytes() >= settings_.buffer_memory;
    under = bufferedBytes() <= settings_.buffer_memory / 2;
  }
  if (!full_ && over) {
    full_ = true;
    if (settings_.when_full == WhenFull::Block && pressure_) pressure_(true);
  } else if (full_ && under) {
    full_ = false;
    if (settings_.when_full == WhenFull::Block && pressure_) pressure_(false);
  }
}

void SinkRunner::drain(std::chrono::milliseconds timeout, std::function<void()> done) {
  draining_ = true;
  pump();
  drain_done_ = std::move(done);
  batcher_.flush();
  // Drops not yet reported in-band (the flush above may have dropped too) get a batch of their own, so the
  // drain's owner learns of the loss.
  if (pending_drops_ > 0 && !abandoned_) {
    batcher_.ensureOpen();
    batcher_.flush();
  }
  uv_timer_start(drain_timer_.get(), &SinkRunner::onDrainTimer,
                 static_cast<uint64_t>(std::max<int64_t>(timeout.count(), 0)), 0);
  checkDrained();
}

void SinkRunner::onDrainTimer(uv_timer_t* timer) noexcept {
  SinkRunner* self = ownerOf<SinkRunner>(timer);
  if (self != nullptr) self->abandon();
}

void SinkRunner::checkDrained() {
  if (!draining_ || !drain_done_) return;
  if (!queue_.empty() || batcher_.openBytes() > 0 || !spilling_.empty() || reading_spool_) return;
  for (auto& f : flights_) {
    if (f->batch) return;
  }
  // Delivered everything, or (given up) spooled the rest.
  if (spool_ && spool_->unread() > 0 && !abandoned_) return;
  uv_timer_stop(drain_timer_.get());
  loop_.post(std::exchange(drain_done_, nullptr));
}

void SinkRunner::abandon() {
  if (abandoned_) return;
  abandoned_ = true;
  batcher_.flush();  // the open batch is set aside in onBatchClosed
  while (!queue_.empty()) setAside(queue_.pop());
  for (auto& f : flights_) {
    if (f->batch && !f->sending) {
      uv_timer_stop(f->retry_timer.get());
      inflight_bytes_ -= f->batch->bytes.size();
      inflight_events_ -= f->batch->count;
      setAside(std::move(f->batch));
    }
  }
  // Batches on the wire come back as Retry("stopping") and are set aside then.
  if (!transport_stopped_ && !stopped_) {
    stopped_ = true;
    transport_->stop([this] {
      transport_stopped_ = true;
      checkDrained();
      for (auto& fn : std::exchange(stop_waiters_, {})) fn();
    });
  }
  checkDrained();
}

void SinkRunner::stop(std::function<void()> done) {
  auto close_spool = [this, done = std::move(done)]() mutable {
    if (!spool_ || spool_->closed()) {
      loop_.post(std::move(done));
      return;
    }
    spool_->close(std::move(done));
  };
  if (transport_stopped_) {
    close_spool();
    return;
  }
  stop_waiters_.push_back(std::move(close_spool));
  if (stopped_) return;  // a stop is under way
  stopped_ = true;
  uv_timer_stop(drain_timer_.get());
  transport_->stop([this] {
    transport_stopped_ = true;
    for (auto& fn : std::exchange(stop_waiters_, {})) fn();
  });
}

std::string SinkRunner::describe() const {
  std::string out = settings_.type;
  if (std::string what = transport_->describe(); !what.empty()) out += ", " + what;
  if (spool_) {
    out += ", spool of " + formatSize(settings_.buffer_disk) +
           (settings_.buffer_mode == BufferMode::Always ? " (every batch)" : " (overflow)");
  }
  if (!settings_.inputs.empty()) {
    out += ", takes";
    for (const std::string& input : settings_.inputs) out += " " + input;
  }
  return out;
}

}  // namespace sluice
