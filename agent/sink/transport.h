#pragma once
// A sink transport only moves bytes and returns one verdict per batch. Batching, buffers, retries, order and acks
// belong to the core (SinkRunner), for every plugin.
#include <chrono>
#include <functional>
#include <string>

#include "agent/core/batch.h"
#include "agent/core/counters.h"
#include "agent/core/outcome.h"
#include "agent/core/result.h"

namespace sluice {

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

  // What it does, for the line Sluice logs at start ("https://logs.example.com/logs (token ****)"); no secrets.
  virtual std::string describe() const { return {}; }

  // The core hands over the sink's counters before the first deliver(). Loop thread only.
  void attachCounters(ComponentCounters* counters) { counters_ = counters; }

 protected:
  // Counts what the transport changed or left out on purpose (ComponentCounters::plugin_events).
  void countEvent(const std::string& what, uint64_t n = 1) {
    if (counters_ != nullptr && n > 0) counters_->plugin_events[what] += n;
  }
  // A level the transport knows and /metrics shows as sluice_component_<name> (kafka's brokers up, say).
  void setGauge(const std::string& name, uint64_t value) {
    if (counters_ != nullptr) counters_->gauges[name] = value;
  }

 private:
  ComponentCounters* counters_ = nullptr;
};

}  // namespace sluice
