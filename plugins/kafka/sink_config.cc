#include "plugins/kafka/sink_config.h"

#include "agent/sink/sink_options.h"

namespace sluice::plugins::kafka {

std::vector<KafkaProperty> sinkProperties(const OptionValues& values) {
  return {
      // librdkafka's own retries add no duplicates, and a record is kept in order within its partition.
      {"enable.idempotence", "true", ""},
      {"acks", "all", "acks"},
      {"compression.codec", values.str("compression"), "compression"},
      // Through a cluster outage librdkafka keeps the records and retries; only after this do they fail (the
      // batch is then retried by the core, and spooled when it has a spool).
      {"message.timeout.ms", "300000", "", false},
      // librdkafka's queue is the bounded queue between the loop and its threads: when it is full, the sink stops
      // producing and the core's buffer (then the spool, then when_full) takes the rest.
      {"queue.buffering.max.messages", "200000", "", false},
      {"queue.buffering.max.kbytes", "65536", "", false},
      {"linger.ms", "5", "", false},
      {"batch.num.messages", "10000", "", false},
      {"statistics.interval.ms", "5000", "", false},
  };
}

std::unique_ptr<PluginConfig> validateKafkaSink(const OptionValues& values, ConfigErrors& errors) {
  auto c = std::make_unique<KafkaSinkConfig>();
  const size_t before = errors.size();
  c->topic = values.str("topic");
  if (values.isSet("topic") && c->topic.empty()) errors.add(values.mark("topic"), "topic must not be empty");
  c->key = values.str("key");
  std::string bad;
  if (!checkTemplate(c->key, &bad)) {
    errors.add(values.mark("key"), "key: unknown placeholder '" + bad + "' (known: {source}, {hostname}, {app_name})");
  } else if (c->key.find("{token}") != std::string::npos) {
    errors.add(values.mark("key"), "key: a kafka sink has no {token}");
  }
  const std::string& value = values.str("value");
  c->value = value == "raw" ? ValueFormat::Raw : value == "ndjson" ? ValueFormat::Ndjson : ValueFormat::Rfc5424;
  c->properties = sinkProperties(values);
  c->client = readKafkaClientOptions(values, c->properties, errors);
  if (errors.size() > before) return nullptr;
  return c;
}

}  // namespace sluice::plugins::kafka
