#include <spdlog/spdlog.h>

#include "plugins/kafka/kafka_sink.h"
#include "plugins/kafka/sink_config.h"

namespace sluice::plugins::kafka {
namespace {

constexpr std::string_view kSinkHelp =
    "Apache Kafka (or a Kafka-compatible broker) through librdkafka's idempotent producer: one record per line; "
    "a batch is delivered once every record of it is acknowledged";

Result<std::unique_ptr<SinkTransport>> createSink(const PluginConfig& base, SinkContext& context) {
  const auto& config = static_cast<const KafkaSinkConfig&>(base);
  auto sink = std::make_unique<KafkaSink>(context.loop, context.name, config);
  if (Status st = sink->start(); !st) return st.takeError();
  if (config.client.tls && !config.client.tls_settings.options.verify) {
    spdlog::warn("sink {}: tls.verify is false: the brokers' certificates are not checked, anyone on the path can "
                 "read and change the logs", context.name);
  }
  if (!config.client.tls && config.client.sasl_mechanism == "PLAIN") {
    spdlog::warn("sink {}: sasl PLAIN over plain TCP sends the password as it is; use tls:// brokers", context.name);
  }
  return std::unique_ptr<SinkTransport>(std::move(sink));
}

}  // namespace

extern const PluginDescriptor kKafkaSink = sinkPlugin("kafka", kSinkHelp, kSinkOptions, &validateKafkaSink, &createSink);

}  // namespace sluice::plugins::kafka
