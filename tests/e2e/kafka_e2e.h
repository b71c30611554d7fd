#pragma once
// Kafka e2e tests: a cluster (librdkafka's mock, or SLUICE_TEST_KAFKA_BROKERS) and kcat, with Catch's checks.
#include "tests/e2e/e2e.h"
#include "tests/support/kafka_cluster.h"

namespace sluice::e2e {

// A started cluster (the test stops if it did not start).
inline void requireStarted(const KafkaCluster& cluster) {
  INFO(cluster.error());
  REQUIRE(!cluster.bootstrap().empty());
}

// A command only the mock cluster understands: done and checked on the mock; on a real cluster the test goes on
// without it, with a warning that names what was skipped.
inline bool mockCommand(KafkaCluster& cluster, const std::string& line) {
  if (!cluster.isMock()) {
    WARN("skipped '" << line << "': needs librdkafka's mock cluster, and " << KafkaCluster::kBrokersEnv
                     << " names a real one");
    return false;
  }
  std::string problem = cluster.command(line);
  INFO("mock cluster: " << line << " → " << problem << "\n" << cluster.log().substr(0, 2000));
  REQUIRE(problem.empty());
  return true;
}

// Every record of `topic` now, in kcat's `format`, as lines (the run must succeed within `deadline`).
inline std::vector<std::string> consumeLines(const KafkaCluster& cluster, const std::string& topic,
                                             const std::string& format, std::chrono::milliseconds deadline = 60s) {
  KcatRun run = consumeTopic(cluster.bootstrap(), topic, format, deadline);
  INFO("kcat: " << run.err.substr(0, 2000));
  REQUIRE(run.ok());
  return splitLines(run.out);
}

}  // namespace sluice::e2e
