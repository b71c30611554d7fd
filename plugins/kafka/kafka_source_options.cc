#include "plugins/kafka/kafka_source_options.h"

namespace sluice::plugins::kafka {
namespace {

constexpr OptionSpec kSourceOwnOptions[] = {
    {"topics", OptionType::StringList, kRequired, "the topics to consume (the group shares their partitions)"},
    {"group_id", OptionType::String, kRequired,
     "the consumer group: Sluices with one group_id share the partitions (group.id)"},
    {"start_at", OptionType::Enum, "beginning",
     "where a partition with no committed offset of the group starts (auto.offset.reset)", "beginning|end"},
    {"format", OptionType::Enum, "auto",
     "rfc5424: each record is one RFC 5424 message, forwarded with its own header; raw: each record is a line, "
     "framed by each sink; auto: RFC 5424 messages pass through, anything else is framed",
     "rfc5424|raw|auto"},
    {"commit_interval", OptionType::Duration, "1s",
     "how often the offsets of delivered records are committed (and at a rebalance and at stop)"},
};

constexpr auto kSourceOptionTable = joinOptions(kSourceOwnOptions, kClientOptions);

RecordFormat formatFrom(const std::string& text) {
  if (text == "rfc5424") return RecordFormat::Rfc5424;
  if (text == "raw") return RecordFormat::Raw;
  return RecordFormat::Auto;
}

}  // namespace

const std::span<const OptionSpec> kKafkaSourceOptions = kSourceOptionTable;

std::vector<KafkaProperty> kafkaSourceProperties(const std::string& group_id, bool start_at_beginning,
                                                 std::chrono::milliseconds commit_interval) {
  return {
      {"group.id", group_id, "group_id"},
      {"auto.offset.reset", start_at_beginning ? "earliest" : "latest", "start_at"},
      // Only what every sink acknowledged is stored (house rule 3), by the source; librdkafka's timer commits what
      // is stored, and only while no rebalance is under way: a commit sent with a generation that a rebalance then
      // replaces is answered ILLEGAL_GENERATION, which librdkafka 2.0.2 takes as the loss of every partition
      // (librdkafka issue #4059, fixed in 2.10).
      {"enable.auto.commit", "true", ""},
      {"enable.auto.offset.store", "false", ""},
      {"auto.commit.interval.ms", std::to_string(commit_interval.count()), "commit_interval"},
  };
}

KafkaSourceSettings readKafkaSourceSettings(const OptionValues& values, ConfigErrors& errors) {
  KafkaSourceSettings s;
  s.topics = values.list("topics");
  s.group_id = values.str("group_id");
  s.start_at_beginning = values.str("start_at") == "beginning";
  s.format = formatFrom(values.str("format"));
  s.commit_interval = values.duration("commit_interval");
  if (s.topics.empty()) errors.add(values.mark("topics"), "topics: at least one topic");
  for (size_t i = 0; i < s.topics.size(); ++i) {
    if (s.topics[i].empty()) errors.add(values.itemMark("topics", i), "topics: a topic name cannot be empty");
  }
  if (values.isSet("group_id") && s.group_id.empty()) errors.add(values.mark("group_id"), "group_id: cannot be empty");
  if (s.commit_interval.count() <= 0) {
    errors.add(values.mark("commit_interval"), "commit_interval: must be above 0");
  }
  s.client = readKafkaClientOptions(
      values, kafkaSourceProperties(s.group_id, s.start_at_beginning, s.commit_interval), errors);
  return s;
}

void validateKafkaSourceOptions(const OptionValues& values, ConfigErrors& errors) {
  (void)readKafkaSourceSettings(values, errors);
}

}  // namespace sluice::plugins::kafka
