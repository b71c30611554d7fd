#include "plugins/kafka/kafka_stats.h"

#include <rapidjson/document.h>

namespace sluice::plugins::kafka {
namespace {

uint64_t unsignedMember(const rapidjson::Value& object, const char* name) {
  auto it = object.FindMember(name);
  if (it == object.MemberEnd() || !it->value.IsNumber()) return 0;
  double v = it->value.GetDouble();
  return v > 0 ? static_cast<uint64_t>(v) : 0;
}

}  // namespace

std::optional<KafkaClusterView> readKafkaStats(std::string_view json) {
  rapidjson::Document d;
  d.Parse<rapidjson::kParseIterativeFlag>(json.data(), json.size());
  if (d.HasParseError() || !d.IsObject()) return std::nullopt;
  KafkaClusterView view;
  view.outstanding = unsignedMember(d, "msg_cnt");
  auto brokers = d.FindMember("brokers");
  if (brokers == d.MemberEnd() || !brokers->value.IsObject()) return view;
  uint64_t rtt_sum = 0;
  uint64_t rtt_n = 0;
  for (const auto& b : brokers->value.GetObject()) {
    if (!b.value.IsObject()) continue;
    auto nodeid = b.value.FindMember("nodeid");
    if (nodeid == b.value.MemberEnd() || !nodeid->value.IsInt() || nodeid->value.GetInt() < 0) continue;
    auto state = b.value.FindMember("state");
    if (state == b.value.MemberEnd() || !state->value.IsString() || std::string_view(state->value.GetString()) != "UP") {
      continue;
    }
    ++view.brokers_up;
    auto rtt = b.value.FindMember("rtt");
    if (rtt != b.value.MemberEnd() && rtt->value.IsObject()) {
      uint64_t avg = unsignedMember(rtt->value, "avg");
      if (avg > 0) {
        rtt_sum += avg;
        ++rtt_n;
      }
    }
  }
  view.rtt_avg_us = rtt_n > 0 ? rtt_sum / rtt_n : 0;
  return view;
}

}  // namespace sluice::plugins::kafka
