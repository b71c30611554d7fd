#pragma once
// The kafka sink's keys: its own (topic, key, value, compression, acks) and the client group of
// kafka_client_options.h, declared once and shown by `sluice --help-plugin kafka`.
#include <memory>
#include <string>
#include <vector>

#include "agent/plugin/plugin.h"
#include "plugins/kafka/kafka_client_options.h"

namespace sluice::plugins::kafka {

inline constexpr OptionSpec kSinkOwnOptions[] = {
    {"topic", OptionType::String, kRequired, "the topic every record goes to"},
    {"key", OptionType::String, "{source}",
     "the record key: {source} (the frame's PROCID, so one source's lines keep their order in one partition), "
     "{hostname}, {app_name}, text; \"\" for none"},
    {"value", OptionType::Enum, "rfc5424",
     "rfc5424: the RFC 5424 message without its length prefix; raw: the line alone; ndjson: the archive's JSON "
     "record",
     "rfc5424|raw|ndjson"},
    {"compression", OptionType::Enum, "lz4", "how librdkafka compresses record batches", "none|gzip|snappy|lz4|zstd"},
    {"acks", OptionType::Enum, "all",
     "all: a record is delivered once every in-sync replica has it (the idempotent producer, always on, needs it)",
     "all"},
};

inline constexpr auto kSinkOptions = joinOptions(kSinkOwnOptions, kClientOptions);

enum class ValueFormat { Rfc5424, Raw, Ndjson };

struct KafkaSinkConfig : PluginConfig {
  std::string topic;
  std::string key;                     // a template; "" = no key
  ValueFormat value = ValueFormat::Rfc5424;
  KafkaClientSettings client;
  std::vector<KafkaProperty> properties;   // the producer's own (idempotence, acks, compression, defaults)
};

// The producer properties the sink sets: from its keys (not to be set again in `librdkafka`) and defaults that
// `librdkafka` may change (message.timeout.ms, queue bounds, linger, statistics).
std::vector<KafkaProperty> sinkProperties(const OptionValues& values);

std::unique_ptr<PluginConfig> validateKafkaSink(const OptionValues& values, ConfigErrors& errors);

}  // namespace sluice::plugins::kafka
