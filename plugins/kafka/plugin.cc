#include "agent/sources/source_options.h"
#include "plugins/kafka/kafka_source.h"
#include "plugins/kafka/kafka_source_options.h"

namespace sluice::plugins::kafka {
namespace {

constexpr std::string_view kSourceHelp =
    "a Kafka consumer group member (librdkafka): records as lines or RFC 5424 messages; offsets committed only "
    "for what every sink delivered or spooled";

Result<std::unique_ptr<Source>> createSource(const PluginConfig& config, SourceContext& context) {
  ConfigErrors errors;  // validated already: `sluice check` reported these
  KafkaSourceSettings settings = readKafkaSourceSettings(sourceValues(config), errors);
  if (!errors.empty()) return Error{errors.joined()};
  return std::unique_ptr<Source>(std::make_unique<KafkaSource>(context.loop, context.router, std::move(context.info),
                                                               std::move(settings), context.max_line_bytes));
}

}  // namespace

extern const PluginDescriptor kKafkaSource = sourcePlugin("kafka", kSourceHelp, kKafkaSourceOptions,
                                                          &checkSourceValues<&validateKafkaSourceOptions>,
                                                          &createSource);

}  // namespace sluice::plugins::kafka
