// systemd: READY=1 once running, WATCHDOG=1 at half of WATCHDOG_USEC, STATUS= with throughput and backlog; and
// what a shutdown waits for.
#include <algorithm>

#include "agent/app/agent.h"
#include "agent/core/clock.h"
#include "agent/core/log.h"
#include "agent/core/units.h"

namespace sluice {
namespace {
constexpr uint64_t kStatusEveryMs = 10000;
constexpr uint64_t kShutdownProgressMs = 1000;
}  // namespace

void Agent::startNotifier() {
  if (!notifier_) return;
  if (auto interval = notifier_->watchdogInterval()) {
    watchdog_timer_.init(this, [&](uv_timer_t* t) { return uv_timer_init(loop_.get(), t); });
    auto ms = static_cast<uint64_t>(interval->count());
    uv_timer_start(watchdog_timer_.get(), &Agent::onWatchdog, ms, ms);
    uv_unref(watchdog_timer_.handle());
  }
  status_timer_.init(this, [&](uv_timer_t* t) { return uv_timer_init(loop_.get(), t); });
  uv_timer_start(status_timer_.get(), &Agent::onStatusTimer, kStatusEveryMs, kStatusEveryMs);
  uv_unref(status_timer_.handle());
  sendStatus(true);
}

void Agent::sendStatus(bool ready) {
  if (!notifier_) return;
  uint64_t lines = 0;
  for (const auto& s : sources_) lines += s->counters().received_events;
  uint64_t backlog = 0, memory = 0, spooled = 0, lost = 0;
  for (const auto& sink : sinks_) {
    backlog += sink->bufferedEvents();
    memory += sink->bufferedBytes();
    spooled += sink->spoolBytes();
    lost += sink->lost();
  }
  const int64_t now = monoMicros();
  double rate = 0;
  if (status_last_us_ != 0 && now > status_last_us_) {
    rate = static_cast<double>(lines - status_last_lines_) * 1e6 / static_cast<double>(now - status_last_us_);
  }
  status_last_lines_ = lines;
  status_last_us_ = now;
  char text[256];
  snprintf(text, sizeof text, "STATUS=%.0f lines/s; backlog %llu messages (%s in memory, %s spooled); %llu lost",
           rate, static_cast<unsigned long long>(backlog), formatSize(memory).c_str(), formatSize(spooled).c_str(),
           static_cast<unsigned long long>(lost));
  notifier_->send(ready ? "READY=1\n" + std::string(text) : std::string(text));
}

void Agent::onWatchdog(uv_timer_t* timer) noexcept {
  Agent* self = ownerOf<Agent>(timer);
  // Sent from the loop itself: a loop that is stuck stops the heartbeat, and systemd restarts the service.
  if (self != nullptr && self->notifier_) self->notifier_->send("WATCHDOG=1");
}

void Agent::onStatusTimer(uv_timer_t* timer) noexcept {
  Agent* self = ownerOf<Agent>(timer);
  if (self != nullptr) self->sendStatus(false);
}

void Agent::startShutdownProgress() {
  shutdown_deadline_ms_ = static_cast<int64_t>(loop_.nowMs()) + config_.agent.shutdown_timeout.count();
  shutdown_timer_.init(this, [&](uv_timer_t* t) { return uv_timer_init(loop_.get(), t); });
  uv_timer_start(shutdown_timer_.get(), &Agent::onShutdownTimer, kShutdownProgressMs, kShutdownProgressMs);
  uv_unref(shutdown_timer_.handle());
}

void Agent::reportShutdownProgress() {
  const int64_t left_ms = std::max<int64_t>(0, shutdown_deadline_ms_ - static_cast<int64_t>(loop_.nowMs()));
  std::string waiting;
  for (const auto& sink : sinks_) {
    const uint64_t held = sink->bufferedEvents();
    if (held == 0) continue;
    waiting += (waiting.empty() ? "" : "; ") + ("sink " + sink->name() + ": " + countOf(held, "message"));
  }
  if (waiting.empty()) return;
  const std::string text = "waiting for " + waiting + ", " + roughDuration(std::chrono::milliseconds(left_ms)) + " left";
  spdlog::info("{}", text);
  if (notifier_) notifier_->send("STATUS=" + text);
}

void Agent::onShutdownTimer(uv_timer_t* timer) noexcept {
  Agent* self = ownerOf<Agent>(timer);
  if (self != nullptr) self->reportShutdownProgress();
}

}  // namespace sluice
