#pragma once
// The cluster as a kafka client sees it, from librdkafka's statistics JSON (its STATISTICS.md): what the sink
// shows in /metrics next to its counters. Pure.
#include <cstdint>
#include <optional>
#include <string_view>

namespace sluice::plugins::kafka {

struct KafkaClusterView {
  uint64_t brokers_up = 0;          // brokers (not bootstrap entries) in state UP
  uint64_t outstanding = 0;         // msg_cnt: records queued, in flight or awaiting their report
  uint64_t rtt_avg_us = 0;          // mean of the UP brokers' rtt.avg (0 when none has one)
};

// None when `json` is not librdkafka's statistics object.
std::optional<KafkaClusterView> readKafkaStats(std::string_view json);

}  // namespace sluice::plugins::kafka
