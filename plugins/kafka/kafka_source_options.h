#pragma once
// The options of the kafka source (a consumer group member): its own keys, the shared client group
// (kafka_client_options.h), and the librdkafka properties they become. librdkafka never stores an offset on its own
// (enable.auto.offset.store: false): the source stores what the sinks acknowledged, and librdkafka's timer commits it.
#include <chrono>
#include <span>
#include <string>
#include <vector>

#include "agent/config/options.h"
#include "plugins/kafka/kafka_client_options.h"

namespace sluice::plugins::kafka {

// How a record's value becomes a line.
enum class RecordFormat {
  Rfc5424,   // one RFC 5424 message: forwarded with its own header (a record that is not one: counted, framed)
  Raw,       // a line: framed by each sink like a line of stdin
  Auto,      // an RFC 5424 message passes through, anything else is framed
};

struct KafkaSourceSettings {
  KafkaClientSettings client;
  std::vector<std::string> topics;
  std::string group_id;
  bool start_at_beginning = true;
  RecordFormat format = RecordFormat::Auto;
  std::chrono::milliseconds commit_interval{1000};
};

extern const std::span<const OptionSpec> kKafkaSourceOptions;

// The properties the source sets from its own keys (group_id, start_at, commit_interval) and for itself.
std::vector<KafkaProperty> kafkaSourceProperties(const std::string& group_id, bool start_at_beginning,
                                                 std::chrono::milliseconds commit_interval);

// Reads validated values (errors: what the table cannot say, and whatever librdkafka refuses).
KafkaSourceSettings readKafkaSourceSettings(const OptionValues& values, ConfigErrors& errors);

// The checks of `sluice check` (pure: librdkafka's configuration object is built and thrown away).
void validateKafkaSourceOptions(const OptionValues& values, ConfigErrors& errors);

}  // namespace sluice::plugins::kafka
