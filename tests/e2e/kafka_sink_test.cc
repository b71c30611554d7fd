// Issue 12: stdin → the kafka sink → a cluster (librdkafka's mock, or SLUICE_TEST_KAFKA_BROKERS), read back by
// kcat, with exact counts.
#include <algorithm>
#include <atomic>
#include <filesystem>
#include <regex>
#include <thread>

#include "tests/e2e/admin_e2e.h"
#include "tests/e2e/kafka_e2e.h"

using namespace sluice;
using namespace sluice::e2e;

namespace {

// Bytes of the files under `dir` (0 when it is not there).
uintmax_t directorySize(const std::string& dir) {
  std::error_code ec;
  uintmax_t total = 0;
  for (auto it = std::filesystem::recursive_directory_iterator(dir, ec); !ec && it != std::filesystem::end(it);
       it.increment(ec)) {
    if (it->is_regular_file(ec)) total += it->file_size(ec);
  }
  return total;
}

// stdin (source "app") → a kafka sink named bus; `sink_extra` lines are indented by 4, `agent_extra` by 2.
std::string kafkaConfig(const Env& env, const KafkaCluster& cluster, const std::string& topic,
                        const std::string& sink_extra = "", const std::string& agent_extra = "") {
  return env.writeFile("sluice.yaml", "agent:\n  hostname: test-host\n  state_dir: " + env.dir.path() +
                                          "/state\n  shutdown_timeout: 30s\n" + agent_extra +
                                          "sources:\n  - name: app\n    type: stdin\nsinks:\n  - name: bus\n"
                                          "    type: kafka\n    brokers: [" + cluster.bootstrap() + "]\n    topic: " +
                                          topic + "\n    value: raw\n    retry: { initial: 50ms, max: 1s }\n" +
                                          sink_extra);
}

// The values of `records` ("KEY\tHEADERS\tVALUE"), checking each record's key and headers on the way.
std::vector<std::string> valuesOf(const std::vector<std::string>& records, const std::string& key) {
  std::vector<std::string> values;
  size_t bad = 0;
  for (const std::string& r : records) {
    size_t t1 = r.find('\t');
    size_t t2 = r.find('\t', t1 + 1);
    if (t1 == std::string::npos || t2 == std::string::npos) {
      ++bad;
      continue;
    }
    std::string_view headers(r.data() + t1 + 1, t2 - t1 - 1);
    if (r.compare(0, t1, key) != 0 || !headers.starts_with("frame_id=") ||
        headers.find(",source=" + key) == std::string_view::npos) {
      if (bad++ == 0) UNSCOPED_INFO("first bad record: " << r.substr(0, 300));
    }
    values.push_back(r.substr(t2 + 1));
  }
  CHECK(bad == 0);
  return values;
}

// A cluster of `brokers` brokers with a new topic of `partitions` partitions (each on every broker), and a test
// directory: what every test here starts from.
struct KafkaTopic {
  KafkaTopic(int brokers, const std::string& prefix, int partitions) : cluster(brokers), topic(uniqueTopic(prefix)) {
    requireStarted(cluster);
    mockCommand(cluster, "create-topic " + topic + " " + std::to_string(partitions) + " " + std::to_string(brokers));
  }
  std::string config(const std::string& sink_extra = "", const std::string& agent_extra = "") const {
    return kafkaConfig(env, cluster, topic, sink_extra, agent_extra);
  }
  // Every value of the topic, each record's key and headers checked (the source app's).
  std::vector<std::string> values() const {
    return valuesOf(consumeLines(cluster, topic, "%k\t%h\t%s\n"), "app");
  }
  KafkaCluster cluster;
  Env env;
  std::string topic;
};

}  // namespace

TEST_CASE("kafka sink: 100,000 stdin lines are read back once each, in order, with key and headers",
          "[e2e][kafka]") {
  KafkaTopic k(1, "lines", 4);
  AgentProcess agent(k.env.agent({"--config", k.config()}));
  const std::string input = numberedLines(1, 100000);
  CHECK(writeAndFinish(agent, input) == 0);
  // One key: one partition, so the order is the order of the lines.
  CHECK(firstDifference(k.values(), splitLines(input)) == "");
}

TEST_CASE("kafka sink: the default value is the RFC 5424 message, and ndjson the archive's record", "[e2e][kafka]") {
  KafkaCluster cluster(1);
  requireStarted(cluster);
  for (const std::string value : {"rfc5424", "ndjson"}) {
    INFO(value);
    Env env;
    const std::string topic = uniqueTopic(value);
    std::string config = kafkaConfig(env, cluster, topic, "    key: \"\"\n");
    config = env.writeFile("sluice.yaml", std::regex_replace(readFile(config), std::regex("value: raw"), "value: " + value));
    AgentProcess agent(env.agent({"--config", config}));
    CHECK(writeAndFinish(agent, "hello kafka\n") == 0);
    std::vector<std::string> got = consumeLines(cluster, topic, "[%k] %s\n");
    REQUIRE(got.size() == 1);
    if (value == "rfc5424") {
      CHECK(std::regex_match(got[0], std::regex(R"(\[\] <190>1 \S+ test-host \S+ app - - hello kafka)")));
    } else {
      CHECK(got[0].starts_with("[] {\"received\":"));
      CHECK(got[0].find("\"source\":\"app\"") != std::string::npos);
      CHECK(got[0].find("\"message\":\"hello kafka\"}") != std::string::npos);
    }
  }
}

TEST_CASE("kafka sink: a leader that moves and a broker that goes down and returns lose and repeat nothing",
          "[e2e][kafka]") {
  KafkaTopic k(3, "failover", 3);
  auto& [cluster, env, topic] = k;
  AgentProcess agent(env.agent({"--config", k.config()}));
  const std::string first = numberedLines(1, 30000);
  const std::string second = numberedLines(30001, 30000);
  const std::string third = numberedLines(60001, 30000);
  // The lines are written from a thread of their own: while a broker is down, the agent's buffer fills and it
  // stops reading its stdin (when_full: block), and a write from the test itself would wait for a broker that only
  // the test can bring back.
  std::atomic<bool> written{false}, down{false};
  std::thread writer([&] {
    bool ok = agent.write(first);
    for (int p = 0; p < 3; ++p) mockCommand(cluster, "leader " + topic + " " + std::to_string(p) + " 2");
    ok = agent.write(second) && ok;
    mockCommand(cluster, "broker-down 2");
    down = true;
    written = agent.write(third) && ok;
  });
  const bool went_down = waitFor([&] { return down.load(); }, 120s);
  std::this_thread::sleep_for(2s);  // scenario time: the broker stays down while lines wait for it
  mockCommand(cluster, "broker-up 2");
  writer.join();
  REQUIRE(went_down);
  REQUIRE(written);
  agent.closeStdin();
  CHECK(finish(agent) == 0);
  CHECK(firstDifference(k.values(), splitLines(first + second + third)) == "");
}

TEST_CASE("kafka sink: a cluster down for 10 s holds the lines (memory, then the spool) and gets each once after",
          "[e2e][kafka]") {
  KafkaTopic k(3, "outage", 3);
  auto& [cluster, env, topic] = k;
  const std::string sink_extra =
      "    batch: { max_messages: 500, max_bytes: 64KiB, linger: 20ms }\n"
      "    buffer: { memory: 256KiB, disk: 64MiB }\n";
  AgentProcess agent(env.agent({"--config", k.config(sink_extra)}));
  std::string input = numberedLines(1, 5000);
  REQUIRE(agent.write(input));
  bool down = true;
  for (int b = 1; b <= 3; ++b) down = mockCommand(cluster, "broker-down " + std::to_string(b)) && down;
  const std::string spool_dir = env.dir.path() + "/state/spool/bus";
  for (int tick = 0; tick < 10; ++tick) {
    std::string more = numberedLines(5001 + tick * 4000, 4000);
    REQUIRE(agent.write(more));
    input += more;
    std::this_thread::sleep_for(1s);  // scenario time: lines keep coming through the 10 s outage
  }
  if (down) {
    // 40,000 lines do not fit in 256 KiB of memory: the spool holds them.
    CHECK(waitFor([&] { return directorySize(spool_dir) > 256 * 1024; }, 10s));
  }
  for (int b = 1; b <= 3; ++b) mockCommand(cluster, "broker-up " + std::to_string(b));
  agent.closeStdin();
  CHECK(finish(agent, 120s) == 0);
  INFO("agent: " << agent.stderrText().substr(0, 4000));
  // Each line exactly once. Not in order: batches read back from the spool may be handed over out of order within
  // the max_in_flight window (README "Order"), and the sink produces them in the order it gets them.
  std::vector<std::string> got = k.values();
  std::vector<std::string> want = splitLines(input);
  std::sort(got.begin(), got.end());
  CHECK(firstDifference(got, want) == "");
}

TEST_CASE("kafka sink: a record larger than message.max.bytes is left out and counted, the rest flows",
          "[e2e][kafka]") {
  KafkaTopic k(1, "toolarge", 1);
  auto& [cluster, env, topic] = k;
  AgentProcess agent(env.agent({"--config", k.config("    librdkafka: { message.max.bytes: '2000' }\n",
                                                     "api:\n  listen: 127.0.0.1:0\n")}));
  const uint16_t port = apiPort(agent);
  const std::string before = numberedLines(1, 10);
  const std::string after = numberedLines(11, 10);
  REQUIRE(agent.write(before + std::string(3000, 'x') + "\n" + after));
  std::vector<std::string> values;
  CHECK(waitFor(
      [&] {
        values = valuesOf(splitLines(consumeTopic(cluster.bootstrap(), topic, "%k\t%h\t%s\n", 30s).out), "app");
        return values.size() >= 20;
      },
      30s));
  CHECK(firstDifference(values, splitLines(before + after)) == "");
  CHECK(metric(port, "sluice_component_plugin_events_total", {"component_id=\"bus\"", "event=\"kafka_record_too_large\""}) == 1);
  // librdkafka's statistics come every 5 s.
  CHECK(waitFor([&] { return metric(port, "sluice_component_kafka_brokers_up", {"component_id=\"bus\""}) >= 1; }, 20s));
  agent.closeStdin();
  CHECK(finish(agent) == 0);
}

TEST_CASE("kafka sink: --help-plugin shows its keys and the client group's", "[e2e][kafka]") {
  Env env;
  checkHelpPlugin(env, {"kafka"}, {"brokers", "topic", "{source}", "rfc5424", "lz4", "sasl.mechanism",
                                   "sasl.password", "tls.ca_file", "librdkafka"});
}

TEST_CASE("kafka sink: sluice check reports an unknown librdkafka property at its line, and masks the password",
          "[e2e][kafka]") {
  Env env;
  const std::string head = "sources:\n  - name: app\n    type: stdin\nsinks:\n  - name: bus\n    type: kafka\n"
                           "    brokers: [kafka-1:9092]\n    topic: logs\n";
  std::string bad = env.writeFile("bad.yaml", head + "    librdkafka:\n      client.id: web\n      no.such.thing: 1\n");
  AgentProcess check(env.agent({"check", "--config", bad}));
  CHECK(finish(check, 30s) != 0);
  INFO(check.stderrText());
  CHECK(check.stderrText().find("bad.yaml:11:7: librdkafka.no.such.thing: No such configuration property") !=
        std::string::npos);
  std::string good = env.writeFile(
      "good.yaml", head + "    sasl: { mechanism: SCRAM-SHA-256, username: relay, password: hunter2 }\n");
  AgentProcess show(env.agent({"check", "--show", "--config", good}));
  CHECK(finish(show, 30s) == 0);
  INFO(show.stdoutText());
  CHECK(show.stdoutText().find("hunter2") == std::string::npos);
  CHECK(show.stdoutText().find("****") != std::string::npos);
}
