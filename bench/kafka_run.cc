// stdin -> the kafka sink -> librdkafka's mock cluster (sluice-kafka-cluster). The mock keeps every record in
// memory and acknowledges at once: it is not a production broker, so the row measures the agent's side (framing,
// producing, delivery reports), not what a real cluster sustains.
#include "bench/bench.h"
#include "tests/support/kafka_cluster.h"

namespace sluice::bench {

Figures kafkaRun(Setup& setup, const std::string& input) {
  const std::string path = "stdin -> kafka (mock cluster)";
  KafkaCluster cluster(1);
  if (cluster.bootstrap().empty()) return Figures{.path = path, .note = "no cluster: " + cluster.error()};
  (void)cluster.command("create-topic bench 4 1");
  const std::string config = "agent:\n  hostname: bench\n  state_dir: {STATE_DIR}\n  log_level: warn\nsources:\n"
                             "  - name: app\n    type: stdin\nsinks:\n  - name: bus\n    type: kafka\n    brokers: [" +
                             cluster.bootstrap() +
                             "]\n    topic: bench\n    batch: {max_messages: 5000, max_bytes: 4MiB}\n"
                             "    max_in_flight: 8\n";
  // At EOF the agent exits once every batch has its delivery reports (exit 0: nothing lost).
  return runAgent(setup,
                  AgentRun{.path = path, .config = config, .until_exit = true,
                           .note = "mock cluster: not a production broker"},
                  input);
}

}  // namespace sluice::bench
