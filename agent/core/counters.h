#pragma once
// Counters of one component (source or sink), named after Vector's component spec. The loop thread owns them;
// the admin API reads them on the same thread.
#include <array>
#include <cstdint>
#include <map>
#include <string>

namespace sluice {

struct ComponentCounters {
  uint64_t received_events = 0;
  uint64_t received_bytes = 0;
  uint64_t sent_events = 0;
  uint64_t sent_bytes = 0;
  uint64_t sent_batches = 0;
  uint64_t retries = 0;
  uint64_t split_lines = 0;                     // lines longer than max_line_bytes, sent as several messages
  std::map<std::string, uint64_t> errors;       // by error_type
  std::map<std::string, uint64_t> dropped;      // by reason
  // What a sink's plugin changed or left out on purpose, as configured, by kind ("datagram_split",
  // "message_truncated", "unparsed_raw", "unparsed_dropped", ...): counted and reported, but not a loss (the
  // exit status does not count them).
  std::map<std::string, uint64_t> plugin_events;
  // Levels, not counts, by name: a tail source's "files_open" and "files_tracked" (sluice_component_<name>).
  std::map<std::string, uint64_t> gauges;

  // Adds what `other` counted (a sink restarted by a reload keeps counting where it was); gauges are levels and
  // stay as they are.
  void add(const ComponentCounters& other) {
    received_events += other.received_events;
    received_bytes += other.received_bytes;
    sent_events += other.sent_events;
    sent_bytes += other.sent_bytes;
    sent_batches += other.sent_batches;
    retries += other.retries;
    split_lines += other.split_lines;
    for (const auto& [k, n] : other.errors) errors[k] += n;
    for (const auto& [k, n] : other.dropped) dropped[k] += n;
    for (const auto& [k, n] : other.plugin_events) plugin_events[k] += n;
  }

  uint64_t droppedTotal() const {
    uint64_t n = 0;
    for (const auto& [reason, count] : dropped) n += count;
    return n;
  }
};

// Delivery latency (record received → batch delivered), Prometheus-style cumulative buckets in seconds.
struct LatencyHistogram {
  static constexpr std::array<double, 12> kBounds = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30};
  std::array<uint64_t, kBounds.size() + 1> buckets{};   // the last one is +Inf
  double sum = 0;
  uint64_t count = 0;

  void observe(double seconds, uint64_t n = 1) {
    size_t i = 0;
    while (i < kBounds.size() && seconds > kBounds[i]) ++i;
    buckets[i] += n;
    sum += seconds * static_cast<double>(n);
    count += n;
  }
  void add(const LatencyHistogram& other) {
    for (size_t i = 0; i < buckets.size(); ++i) buckets[i] += other.buckets[i];
    sum += other.sum;
    count += other.count;
  }
};

}  // namespace sluice
