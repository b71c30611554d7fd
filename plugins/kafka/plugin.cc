#include <spdlog/spdlog.h>

#include "agent/sources/source_options.h"
#include "plugins/kafka/kafka_sink.h"
#include "plugins/kafka/kafka_source.h"
#include "plugins/kafka/kafka_source_options.h"
#include "plugins/kafka/sink_config.h"

namespace sluice::plugins::kafka {
namespace {

constexpr std::string_view kSinkHelp =
    "Apache Kafka (or a Kafka-compatible broker) through librdkafka's idempotent producer: one record per line; "
    "a batch is delivered once every record of it is acknowledged";

constexpr std::string_view kSourceHelp =
    "a Kafka consumer group member (librdkafka): records as lines or RFC 5424 messages; offsets committed only "
    "for what every sink delivered or spooled";

// The warnings of a client whose settings weaken it (the sink's and the source's alike).
void warnWeak(const KafkaClientSettings& client, std::string_view what, const std::string& name) {
  if (client.tls && !client.tls_settings.options.verify) {
    spdlog::warn("{} {}: tls.verify is false: the brokers' certificates are not checked, anyone on the path can "
                 "read and change the logs", what, name);
  }
  if (!client.tls && client.sasl_mechanism == "PLAIN") {
    spdlog::warn("{} {}: sasl PLAIN over plain TCP sends the password as it is; use tls:// brokers", what, name);
  }
}

Result<std::unique_ptr<SinkTransport>> createSink(const PluginConfig& base, SinkContext& context) {
  const auto& config = static_cast<const KafkaSinkConfig&>(base);
  auto sink = std::make_unique<KafkaSink>(context.loop, context.name, config);
  if (Status st = sink->start(); !st) return st.takeError();
  warnWeak(config.client, "sink", context.name);
  return std::unique_ptr<SinkTransport>(std::move(sink));
}

Result<std::unique_ptr<Source>> createSource(const PluginConfig& config, SourceContext& context) {
  ConfigErrors errors;  // validated already: `sluice check` reported these
  KafkaSourceSettings settings = readKafkaSourceSettings(sourceValues(config), errors);
  if (!errors.empty()) return Error{errors.joined()};
  warnWeak(settings.client, "source", context.info.name);
  return std::unique_ptr<Source>(std::make_unique<KafkaSource>(context.loop, context.router, std::move(context.info),
                                                               std::move(settings), context.max_line_bytes));
}

}  // namespace

extern const PluginDescriptor kKafkaSink = sinkPlugin("kafka", kSinkHelp, kSinkOptions, &validateKafkaSink, &createSink);

extern const PluginDescriptor kKafkaSource = sourcePlugin("kafka", kSourceHelp, kKafkaSourceOptions,
                                                          &checkSourceValues<&validateKafkaSourceOptions>,
                                                          &createSource);

}  // namespace sluice::plugins::kafka
