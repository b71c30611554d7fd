// The relay tier (README "Reference deployment: a relay tier") with the real binary, twice: an ingest Sluice
// (logplex input → kafka sink) and a consumer Sluice (kafka source → the HTTPS test drain), through one topic of
// the test cluster. The seed's request (shared/seeds/002) and 200,000 frames arrive exactly once, unchanged.
#include <map>

#include "agent/net/http_wire.h"
#include "tests/e2e/admin_e2e.h"
#include "tests/e2e/kafka_e2e.h"
#include "tests/support/kafka_group.h"

using namespace sluice;
using namespace sluice::e2e;

namespace {

std::string frame(const std::string& msg) { return std::to_string(msg.size()) + " " + msg; }

// The two messages of the seed's curl example (its body is their frames: 150 bytes).
std::string seedMessage(const char* text) {
  return std::string("<190>1 2013-03-27T20:02:24+00:00 hostname logtoken_foobar procid - - ") + text;
}

std::string recMessage(size_t i) {
  char text[32];
  snprintf(text, sizeof text, "rec-%08zu", i);
  return std::string("<190>1 2026-01-02T03:04:05.000006Z addon-host app web.1 - - ") + text;
}

bool postFrames(uint16_t port, const std::string& body) {
  auto r = rawRequest(port, "POST", "/logs",
                      {{"Authorization", "Basic " + base64Encode("token:logtoken_foobar")},
                       {"Content-Type", "application/logplex-1"}},
                      body);
  return r && r->status == 204;
}

}  // namespace

TEST_CASE("relay: logplex input → kafka sink → kafka source → drain, the seed and 200,000 frames exactly once",
          "[e2e][kafka]") {
  Env env;
  KafkaCluster cluster(1);
  requireStarted(cluster);
  const std::string topic = uniqueTopic("relay");
  mockCommand(cluster, "create-topic " + topic + " 4 1");
  TestDrain::Options drain_options = env.drainOptions();
  drain_options.check_rfc5424 = false;  // the seed's timestamps have no fraction: forwarded as they are
  TestDrain drain(drain_options);
  const std::string brokers = "[" + cluster.bootstrap() + "]";
  const std::string ingest_yaml =
      "agent:\n  hostname: ingest\n  state_dir: " + env.dir.path() + "/ingest\n  shutdown_timeout: 20s\n"
      "api:\n  listen: \"\"\nsources:\n  - name: addons\n    type: logplex\n    listen: 127.0.0.1:0\n"
      "    tokens: [logtoken_foobar]\nsinks:\n  - name: bus\n    type: kafka\n    brokers: " + brokers +
      "\n    topic: " + topic + "\n    retry: {initial: 50ms, max: 1s}\n";
  const std::string consumer_yaml =
      "agent:\n  hostname: consumer\n  state_dir: " + env.dir.path() + "/consumer\n  shutdown_timeout: 20s\n"
      "api:\n  listen: \"\"\nsources:\n  - name: relay\n    type: kafka\n    brokers: " + brokers +
      "\n    topics: [" + topic + "]\n    group_id: " + topic + "-relay\n    format: rfc5424\n"
      "    librdkafka: {session.timeout.ms: '6000', heartbeat.interval.ms: '500'}\n"
      "sinks:\n  - name: drain\n    type: logplex_https\n    url: " + drain.url() + "\n    tls: {ca_file: " +
      env.certs.ca_cert + "}\n    retry: {initial: 50ms, max: 500ms}\n";
  AgentProcess consumer(env.agent({"--config", env.writeFile("consumer.yaml", consumer_yaml)}));
  AgentProcess ingest(env.agent({"--config", env.writeFile("ingest.yaml", ingest_yaml)}));
  const uint16_t port = logplexPort(ingest);

  // The seed's request: answered 2xx once the topic has both frames.
  const std::string seed_body = frame(seedMessage("foo")) + frame(seedMessage("bar"));
  REQUIRE(seed_body.size() == 150);  // its Content-Length
  REQUIRE(postFrames(port, seed_body));
  const size_t kFrames = 200000;
  const size_t kPerPost = 1000;
  for (size_t first = 0; first < kFrames; first += kPerPost) {
    std::string body;
    for (size_t i = first; i < first + kPerPost; ++i) body += frame(recMessage(i));
    INFO("POST of frames " << first << "..");
    REQUIRE(postFrames(port, body));
  }
  REQUIRE(drain.waitForMessages(kFrames + 2, 240s));
  CHECK(waitFor([&] { return readGroupOffsets(cluster.bootstrap(), topic + "-relay", topic, 4).allCommitted(); },
                60s));
  CHECK(terminateAndFinish(ingest, 60s) == 0);
  CHECK(terminateAndFinish(consumer, 60s) == 0);

  std::map<std::string, int> seen;
  for (const std::string& m : drain.messages()) ++seen[m];
  // The seed's two messages, byte for byte as the add-on sent them.
  CHECK(seen[seedMessage("foo")] == 1);
  CHECK(seen[seedMessage("bar")] == 1);
  size_t missing = 0;
  size_t twice = 0;
  for (size_t i = 0; i < kFrames; ++i) {
    auto it = seen.find(recMessage(i));
    if (it == seen.end()) {
      ++missing;
    } else if (it->second > 1) {
      twice += static_cast<size_t>(it->second - 1);
    }
  }
  CHECK(missing == 0);
  CHECK(twice == 0);
  CHECK(drain.messageCount() == kFrames + 2);
}
