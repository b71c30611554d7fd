#pragma once
// A Kafka cluster for tests: librdkafka's mock cluster in a child process (sluice-kafka-cluster, built from
// kafka_cluster_main.cc), or a real one when SLUICE_TEST_KAFKA_BROKERS names its bootstrap servers. And kcat, the
// independent producer and consumer, run with a deadline. Nothing here uses Catch: the e2e tests decide what a
// command that only the mock understands means against a real cluster (tests/e2e/kafka_e2e.h: a WARN, skipped).
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "tests/support/agent_process.h"
#include "tests/support/temp_dir.h"

namespace sluice {

class KafkaCluster {
 public:
  static constexpr const char* kBrokersEnv = "SLUICE_TEST_KAFKA_BROKERS";

  // Starts a mock cluster of `brokers` brokers on 127.0.0.1 and waits (up to `deadline`) for its bootstrap line;
  // with SLUICE_TEST_KAFKA_BROKERS set, uses that cluster and starts nothing.
  explicit KafkaCluster(int brokers = 1, std::chrono::milliseconds deadline = std::chrono::seconds(20));
  ~KafkaCluster();  // quits the mock (kills it if it does not go)
  KafkaCluster(const KafkaCluster&) = delete;
  KafkaCluster& operator=(const KafkaCluster&) = delete;

  // "host:port,host:port"; "" when the mock did not start (error() says why).
  const std::string& bootstrap() const { return bootstrap_; }
  const std::string& error() const { return error_; }
  bool isMock() const { return mock_ != nullptr; }

  // Sends one command to the mock (see kafka_cluster_main.cc) and waits for its answer: "" when it says ok, else
  // its answer or what went wrong. Against a real cluster: "not a mock cluster".
  std::string command(const std::string& line, std::chrono::milliseconds deadline = std::chrono::seconds(10));

  // The mock's stderr, for a failing test's INFO.
  std::string log() const;

 private:
  std::string bootstrap_;
  std::string error_;
  std::unique_ptr<TempDir> dir_;
  std::unique_ptr<AgentProcess> mock_;
  size_t answered_ = 0;   // answers read so far (the stdout lines after the bootstrap line)
};

// A topic name no earlier run used (a real cluster keeps its topics): "PREFIX-PID-N-TIME".
std::string uniqueTopic(const std::string& prefix);

// A finished kcat run: its exit status (none when it ran past the deadline and was killed), stdout and stderr.
struct KcatRun {
  std::optional<int> status;
  std::string out;
  std::string err;
  bool ok() const { return status == 0; }
};

// Runs `kcat ARGS` with `input` on its stdin, for at most `deadline`.
KcatRun runKcat(const std::vector<std::string>& args, const std::string& input, std::chrono::milliseconds deadline);

// Every record of `topic` from the beginning to its end now (kcat -C -e), one per line in kcat's `format`
// (-f: "%k\t%h\t%s\n" is key, headers, value), partitions one after the other.
KcatRun consumeTopic(const std::string& bootstrap, const std::string& topic, const std::string& format,
                     std::chrono::milliseconds deadline);

// Produces one record per line of `lines` (kcat -P); with `key_delimiter` set, each line is KEY<delim>VALUE.
KcatRun produceLines(const std::string& bootstrap, const std::string& topic, const std::string& lines,
                     std::chrono::milliseconds deadline, const std::string& key_delimiter = "");

}  // namespace sluice
