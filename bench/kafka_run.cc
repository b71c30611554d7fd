// The kafka rows: stdin -> the kafka sink -> librdkafka's mock cluster (sluice-kafka-cluster), then the records
// that run left in the topic -> the kafka source -> the HTTPS drain. The mock keeps every record in memory and
// acknowledges at once: it is not a production broker, so the rows measure the agent's side (framing, producing,
// delivery reports; consuming, committing), not what a real cluster sustains.
#include <algorithm>
#include <string_view>

#include "bench/bench.h"
#include "tests/support/kafka_cluster.h"

namespace sluice::bench {

// The mock trims a partition's oldest records past a few MB (its own retention): one partition kept only the last
// 347,030 of 400,000 lines, or 205,000 of the bench's. So the lines are spread over the topic's 4 partitions (no
// key), and both rows use 200,000 of them: the second reads every line the first wrote.
constexpr uint64_t kKafkaLines = 200000;

std::vector<Figures> kafkaRuns(Setup& setup, const std::string& input);

void kafkaRows(Setup& setup, const std::string& input) {
  if (!setup.wants("kafka")) return;
  // One run each: the mock's figures say little about a real cluster, and the consumer's include joining a group.
  for (const Figures& f : kafkaRuns(setup, input)) printRow(f);
}

std::vector<Figures> kafkaRuns(Setup& setup, const std::string& input) {
  const uint64_t lines = std::min<uint64_t>(kKafkaLines, setup.lines);
  const std::string_view some(input.data(), std::min(input.size(), lines * (setup.line_bytes + 1)));
  const std::string into = "stdin -> kafka (mock cluster)";
  const std::string out_of = "kafka (mock cluster) -> HTTPS drain";
  const std::string mock = "mock cluster: not a production broker";
  KafkaCluster cluster(1);
  if (cluster.bootstrap().empty()) {
    return {Figures{.path = into, .note = "no cluster: " + cluster.error()},
            Figures{.path = out_of, .note = "no cluster: " + cluster.error()}};
  }
  (void)cluster.command("create-topic bench 4 1");
  const std::string head = kAgentYaml;
  const std::string producer = head + "sources:\n  - name: app\n    type: stdin\nsinks:\n  - name: bus\n"
                               "    type: kafka\n    brokers: [" + cluster.bootstrap() +
                               "]\n    topic: bench\n    key: \"\"\n    batch: {max_messages: 5000, max_bytes: 4MiB}\n"
                               "    max_in_flight: 8\n";
  std::vector<Figures> rows;
  // At EOF the agent exits once every batch has its delivery reports (exit 0: nothing lost).
  rows.push_back(runAgent(
      setup, AgentRun{.path = into, .config = producer, .until_exit = true, .note = mock, .lines = lines},
      std::string(some)));
  // The topic now holds the lines (as RFC 5424 messages): a new group reads them from the beginning, and the run
  // ends when the drain has every one.
  const std::string consumer = head + "sources:\n  - name: bus\n    type: kafka\n    brokers: [" + cluster.bootstrap() +
                               "]\n    topics: [bench]\n    group_id: bench\n    start_at: beginning\n"
                               "    format: rfc5424\n" + kDrainSinkYaml;
  rows.push_back(runAgent(
      setup, AgentRun{.path = out_of, .config = consumer, .feed_stdin = false, .note = mock, .lines = lines}, ""));
  return rows;
}

}  // namespace sluice::bench
