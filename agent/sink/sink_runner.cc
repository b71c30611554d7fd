#include "agent/sink/sink_runner.h"

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
          loop, settings_, framer_, [this](std::unique_ptr<Batch> b) { onBatchClosed(std::move(b)); },
          [this](Batch& b) { onBatchOpened(b); }),
      rng_(std::random_device{}()) {
  run_id_ = randomHex(rng_);
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
  batch->seq = next_seq_++;
  batch->frame_id = run_id_ + "-" + std::to_string(batch->seq);
  if (abandoned_) {
    dropBatch(std::move(batch), "shutdown");
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
  const uint64_t size = batch->bytes.size();
  // A batch holding nothing but an in-band notice is never dropped: it is small and it is how the loss is told.
  const bool notice_only = batch->count == 1 && batch->reported_drops > 0;
  if (!notice_only && bufferedBytes() + size > settings_.buffer_memory) {
    if (settings_.when_full == WhenFull::DropNewest) {
      dropBatch(std::move(batch), "buffer_full");
      updatePressure();
      return;
    }
    if (settings_.when_full == WhenFull::DropOldest) {
      while (!queue_.empty() && bufferedBytes() + size > settings_.buffer_memory) {
        std::unique_ptr<Batch> old = std::move(queue_.front());
        queue_.pop_front();
        queued_bytes_ -= old->bytes.size();
        queued_events_ -= old->count;
        dropBatch(std::move(old), "buffer_full");
      }
      if (bufferedBytes() + size > settings_.buffer_memory) {  // all of it is in flight: nothing older to drop
        dropBatch(std::move(batch), "buffer_full");
        updatePressure();
        return;
      }
    }
    // Block: accept it; the sources are paused below and the overshoot is at most one read.
  }
  queued_bytes_ += size;
  queued_events_ += batch->count;
  queue_.push_back(std::move(batch));
  updatePressure();
  pump();
}

void SinkRunner::dropBatch(std::unique_ptr<Batch> batch, const char* reason) {
  const bool has_notice = batch->reported_drops > 0;
  const uint64_t messages = batch->count - (has_notice ? 1 : 0);
  counters_.dropped[reason] += messages;
  if (std::string_view(reason) == "buffer_full") {
    // Reported in-band at the start of a later batch, like logplex's L10; a lost notice is reported again.
    if (pending_drops_ == 0) pending_drops_since_us_ = batch->first_us != 0 ? batch->first_us : wallMicros();
    pending_drops_ += messages + batch->reported_drops;
    pending_drops_reason_ = settings_.when_full == WhenFull::DropOldest ? "buffer full, drop_oldest"
                                                                        : "buffer full, drop_newest";
  }
  // Dropped on purpose (counted, reported): the source may move on. Abandoned at shutdown: it must read again.
  batch->resolveAcks(std::string_view(reason) != "shutdown");
  uint64_t suppressed = 0;
  if (drop_log_.allow(&suppressed)) {
    spdlog::warn("sink {}: dropped {} messages ({}); {} dropped in total{}", settings_.name, messages, reason,
                 counters_.droppedTotal(),
                 suppressed > 0 ? " (" + std::to_string(suppressed) + " similar messages suppressed)" : "");
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
    for (auto& f : flights_) {
      if (queue_.empty() || stopped_) break;
      if (f->batch) continue;
      f->batch = std::move(queue_.front());
      queue_.pop_front();
      const uint64_t size = f->batch->bytes.size();
      queued_bytes_ -= size;
      queued_events_ -= f->batch->count;
      inflight_bytes_ += size;
      inflight_events_ += f->batch->count;
      f->attempts = 0;
      send(*f);
    }
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
  const uint64_t messages = batch.count - (batch.reported_drops > 0 ? 1 : 0);
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
      counters_.dropped["rejected"] += messages;
      if (rejected_codes_logged_.insert(outcome.code).second) {
        spdlog::error("sink {}: the receiver rejected a batch of {} messages, which will not be retried: {} "
                      "(further rejections with this status are only counted)",
                      settings_.name, batch.count, outcome.reason);
      }
      finishFlight(flight, true);  // will never be delivered: counted as lost, not read again
      return;
    }
    case Verdict::Retry:
      break;
  }
  counters_.errors[errorType(outcome)] += 1;
  if (abandoned_ || stopped_) {
    counters_.dropped["shutdown"] += messages;
    finishFlight(flight, false);
    return;
  }
  counters_.retries += 1;
  auto delay = backoffDelay(settings_.retry_initial, settings_.retry_max, flight.attempts, outcome.retry_after, rng_);
  uint64_t suppressed = 0;
  if (retry_log_.allow(&suppressed)) {
    spdlog::warn("sink {}: delivery failed ({}); retrying batch {} in {} (attempt {}){}", settings_.name,
                 outcome.reason, batch.frame_id, formatDuration(delay), flight.attempts + 1,
                 suppressed > 0 ? " [" + std::to_string(suppressed) + " similar messages suppressed]" : "");
  }
  uv_timer_start(flight.retry_timer.get(), &SinkRunner::onRetryTimer, static_cast<uint64_t>(delay.count()), 0);
}

void SinkRunner::onRetryTimer(uv_timer_t* timer) noexcept {
  Flight* flight = ownerOf<Flight>(timer);
  if (flight == nullptr || !flight->batch) return;
  SinkRunner* self = flight->runner;
  if (self->abandoned_ || self->stopped_) {
    self->counters_.dropped["shutdown"] += flight->batch->count - (flight->batch->reported_drops > 0 ? 1 : 0);
    self->finishFlight(*flight, false);
    return;
  }
  self->send(*flight);
}

void SinkRunner::finishFlight(Flight& flight, bool ok) {
  flight.batch->resolveAcks(ok);
  inflight_bytes_ -= flight.batch->bytes.size();
  inflight_events_ -= flight.batch->count;
  batcher_.recycle(std::move(flight.batch));
  flight.attempts = 0;
  updatePressure();
  pump();
  checkDrained();
}

void SinkRunner::updatePressure() {
  const uint64_t b = bufferedBytes();
  if (!full_ && b >= settings_.buffer_memory) {
    full_ = true;
    if (settings_.when_full == WhenFull::Block && pressure_) pressure_(true);
  } else if (full_ && b <= settings_.buffer_memory / 2) {
    full_ = false;
    if (settings_.when_full == WhenFull::Block && pressure_) pressure_(false);
  }
}

void SinkRunner::drain(std::chrono::milliseconds timeout, std::function<void()> done) {
  draining_ = true;
  drain_done_ = std::move(done);
  batcher_.flush();
  // Drops not yet reported in-band (the flush above may have dropped too) get a batch of their own, so the
  // drain's owner learns of the loss.
  if (pending_drops_ > 0 && !abandoned_) {
    batcher_.ensureOpen();
    batcher_.flush();
  }
  uv_timer_start(drain_timer_.get(), &SinkRunner::onDrainTimer, static_cast<uint64_t>(std::max<int64_t>(timeout.count(), 0)), 0);
  checkDrained();
}

void SinkRunner::onDrainTimer(uv_timer_t* timer) noexcept {
  SinkRunner* self = ownerOf<SinkRunner>(timer);
  if (self != nullptr) self->abandon();
}

void SinkRunner::checkDrained() {
  if (!draining_ || !drain_done_) return;
  if (!queue_.empty() || batcher_.openBytes() > 0) return;
  for (auto& f : flights_) {
    if (f->batch) return;
  }
  uv_timer_stop(drain_timer_.get());
  loop_.post(std::exchange(drain_done_, nullptr));
}

void SinkRunner::abandon() {
  if (abandoned_) return;
  abandoned_ = true;
  batcher_.flush();  // an open batch lands in the queue, dropped below
  while (!queue_.empty()) {
    std::unique_ptr<Batch> b = std::move(queue_.front());
    queue_.pop_front();
    queued_bytes_ -= b->bytes.size();
    queued_events_ -= b->count;
    dropBatch(std::move(b), "shutdown");
  }
  for (auto& f : flights_) {
    if (f->batch && !f->sending) {
      uv_timer_stop(f->retry_timer.get());
      counters_.dropped["shutdown"] += f->batch->count - (f->batch->reported_drops > 0 ? 1 : 0);
      finishFlight(*f, false);
    }
  }
  // Batches on the wire come back as Retry("stopping") and are counted then.
  stop([this] { checkDrained(); });
}

void SinkRunner::stop(std::function<void()> done) {
  stop_waiters_.push_back(std::move(done));
  if (stopped_) {
    if (transport_stopped_) {
      for (auto& fn : std::exchange(stop_waiters_, {})) loop_.post(std::move(fn));
    }
    return;
  }
  stopped_ = true;
  uv_timer_stop(drain_timer_.get());
  transport_->stop([this] {
    transport_stopped_ = true;
    for (auto& fn : std::exchange(stop_waiters_, {})) fn();
  });
}

}  // namespace sluice
