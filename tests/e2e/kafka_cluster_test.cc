// The Kafka test helpers themselves: the mock cluster starts, answers its commands, and kcat produces into it and
// consumes from it (so that a failing sink test is the sink's fault, not the fixture's).
#include "tests/e2e/kafka_e2e.h"

using namespace sluice;
using namespace sluice::e2e;

TEST_CASE("kafka cluster: kcat produces and consumes through the test cluster", "[e2e][kafka]") {
  KafkaCluster cluster(3);
  requireStarted(cluster);
  const std::string topic = uniqueTopic("smoke");
  mockCommand(cluster, "create-topic " + topic + " 2 3");
  KcatRun produced = produceLines(cluster.bootstrap(), topic, "k1\tone\nk2\ttwo\nk1\tthree\n", 30s, "\t");
  INFO(produced.err);
  REQUIRE(produced.ok());
  std::vector<std::string> got = consumeLines(cluster, topic, "%k=%s\n");
  std::sort(got.begin(), got.end());
  CHECK(got == std::vector<std::string>{"k1=one", "k1=three", "k2=two"});
}

TEST_CASE("kafka cluster: the mock answers its commands and refuses what it does not know", "[e2e][kafka]") {
  KafkaCluster cluster(3);
  requireStarted(cluster);
  if (!cluster.isMock()) {
    WARN("skipped: " << KafkaCluster::kBrokersEnv << " names a real cluster; this test is about the mock");
    return;
  }
  CHECK(cluster.bootstrap().find("127.0.0.1:") == 0);
  CHECK(std::count(cluster.bootstrap().begin(), cluster.bootstrap().end(), ',') == 2);
  const std::string topic = uniqueTopic("commands");
  CHECK(cluster.command("create-topic " + topic + " 3 3").empty());
  CHECK(cluster.command("leader " + topic + " 0 2").empty());
  CHECK(cluster.command("broker-down 3").empty());
  CHECK(cluster.command("broker-up 3").empty());
  CHECK(cluster.command("rtt 1 5").empty());
  CHECK(cluster.command("no-such-command").find("error: unknown command") == 0);
  CHECK(cluster.command("broker-down").find("error: ") == 0);
}
