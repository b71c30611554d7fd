#pragma once
// A sink transport only moves bytes and returns one verdict per batch. Batching, buffers, retries, order and acks
// belong to the core (SinkRunner), for every plugin.
#include <chrono>
#include <functional>
#include <string>

#include "agent/core/batch.h"
#include "agent/core/counters.h"
#include "agent/core/result.h"

namespace sluice {

enum class Verdict { Delivered, Retry, Rejected };

struct Outcome {
  Verdict verdict = Verdict::Delivered;
  std::chrono::milliseconds retry_after{0};   // a server-given delay (Retry-After), 0 when none
  std::string reason;                         // for logs: "HTTP 503: <body snippet>", "connection refused", ...
  int code = 0;                               // a protocol status (HTTP), 0 for transport failures

  static Outcome delivered() { return {}; }
  static Outcome retry(std::string why, int code = 0, std::chrono::milliseconds after = std::chrono::milliseconds(0)) {
    return {Verdict::Retry, after, std::move(why), code};
  }
  static Outcome rejected(std::string why, int code = 0) {
    return {Verdict::Rejected, std::chrono::milliseconds(0), std::move(why), code};
  }
};

using DeliverCallback = std::function<void(Outcome)>;

class SinkTransport {
 public:
  virtual ~SinkTransport() = default;

  // Sends one batch. `done` runs exactly once, on a later loop turn or synchronously; the batch stays valid and
  // unchanged until then.
  virtual void deliver(const Batch& batch, DeliverCallback done) = 0;

  // Stops: whatever is still in flight completes with Retry("stopping"), then `done` runs (on a later turn).
  virtual void stop(std::function<void()> done) = 0;

  // SIGHUP: reopen files (logrotate). Most transports have nothing to do.
  virtual void reopen() {}

  // The core hands over the sink's counters before the first deliver(). Loop thread only.
  void attachCounters(ComponentCounters* counters) { counters_ = counters; }

 protected:
  // Counts what the transport changed or left out on purpose (ComponentCounters::plugin_events).
  void countEvent(const std::string& what, uint64_t n = 1) {
    if (counters_ != nullptr && n > 0) counters_->plugin_events[what] += n;
  }

 private:
  ComponentCounters* counters_ = nullptr;
};

}  // namespace sluice
