#include <yaml-cpp/yaml.h>

#include <catch2/catch.hpp>

#include "agent/pipeline/rfc5424_framer.h"
#include "plugins/kafka/kafka_sink.h"
#include "plugins/kafka/kafka_stats.h"
#include "plugins/kafka/record_encoder.h"
#include "plugins/kafka/sink_config.h"
#include "tests/support/wait.h"

using namespace sluice;
using namespace sluice::plugins::kafka;
using namespace std::chrono_literals;
using Messages = std::vector<std::string>;

namespace {

const std::string kMessage = "<190>1 2024-01-02T03:04:05.000006Z web-host app web-1 - - hello \"kafka\"";

struct Validated {
  OptionValues values;
  ConfigErrors errors;
  std::unique_ptr<PluginConfig> config;
  const KafkaSinkConfig& sink() const { return static_cast<const KafkaSinkConfig&>(*config); }
};

Validated validate(const std::string& yaml) {
  Validated v;
  v.values = parseOptions(YAML::Load(yaml), Mark{"test.yaml", 1, 1}, {kSinkOptions}, v.errors);
  v.config = validateKafkaSink(v.values, v.errors);
  return v;
}

std::string frames(const std::vector<std::string>& messages) {
  std::string out;
  for (const std::string& m : messages) out += std::to_string(m.size()) + " " + m;
  return out;
}

// A kafka sink on librdkafka's in-process mock cluster (one broker), started, its counters attached.
struct MockClusterSink {
  Loop loop;
  Validated v = validate("brokers: [unused:9092]\ntopic: unit\nlibrdkafka: {test.mock.num.brokers: '1'}\n");
  ComponentCounters counters;
  std::unique_ptr<KafkaSink> sink;
  MockClusterSink() {
    REQUIRE(v.config);
    sink = std::make_unique<KafkaSink>(loop, "bus", v.sink());
    sink->attachCounters(&counters);
    REQUIRE(sink->start().ok());
  }
  // Stops the sink and closes the loop clean.
  void stop() {
    bool stopped = false;
    sink->stop([&] { stopped = true; });
    REQUIRE(runLoopUntil(loop, [&] { return stopped; }, 10s));
    sink.reset();
    CHECK(loop.close() == 0);
  }
};

}  // namespace

TEST_CASE("kafka record: the key is the frame's PROCID by default, and the value the message", "[kafka]") {
  RecordEncoder e("{source}", ValueFormat::Rfc5424);
  EncodedRecord r;
  e.encode(kMessage, 0, r);
  CHECK(r.has_key);
  CHECK(r.key == "web-1");
  CHECK(r.source == "web-1");
  CHECK(r.value == kMessage);
  CHECK(r.value.data() == kMessage.data());  // a view of the frame: produced without a copy
  CHECK_FALSE(r.value_in_scratch);
}

TEST_CASE("kafka record: raw is the line alone, an empty key is none, a template expands the header's fields",
          "[kafka]") {
  RecordEncoder raw("", ValueFormat::Raw);
  EncodedRecord r;
  raw.encode(kMessage, 0, r);
  CHECK_FALSE(r.has_key);
  CHECK(r.value == "hello \"kafka\"");
  RecordEncoder templated("{hostname}/{app_name}/{source}", ValueFormat::Raw);
  templated.encode(kMessage, 0, r);
  CHECK(r.key == "web-host/app/web-1");
  RecordEncoder fixed("logs", ValueFormat::Raw);
  fixed.encode(kMessage, 0, r);
  CHECK(r.key == "logs");
}

TEST_CASE("kafka record: ndjson is the archive's JSON record of the message", "[kafka]") {
  RecordEncoder e("{source}", ValueFormat::Ndjson);
  EncodedRecord r;
  e.encode(kMessage, 1704164645000006, r);
  CHECK(r.value_in_scratch);
  CHECK(r.value ==
        "{\"received\":\"2024-01-02T03:04:05.000006Z\",\"source\":\"web-1\",\"type\":\"\",\"time\":\"2024-01-02T03:04:05."
        "000006Z\",\"severity\":\"info\",\"facility\":\"local7\",\"hostname\":\"web-host\",\"app_name\":\"app\",\"procid\":"
        "\"web-1\",\"msgid\":\"-\",\"structured_data\":\"-\",\"message\":\"hello \\\"kafka\\\"\"}");
}

TEST_CASE("kafka stats: brokers up, outstanding records and the mean round trip", "[kafka]") {
  auto view = readKafkaStats(R"({"msg_cnt": 42, "brokers": {
      "a:9092/bootstrap": {"nodeid": -1, "state": "UP", "rtt": {"avg": 999999}},
      "a:9092/1": {"nodeid": 1, "state": "UP", "rtt": {"avg": 1000}},
      "b:9092/2": {"nodeid": 2, "state": "UP", "rtt": {"avg": 3000}},
      "c:9092/3": {"nodeid": 3, "state": "DOWN", "rtt": {"avg": 50000}}}})");
  REQUIRE(view);
  CHECK(view->outstanding == 42);
  CHECK(view->brokers_up == 2);
  CHECK(view->rtt_avg_us == 2000);
  CHECK_FALSE(readKafkaStats("not json"));
}

TEST_CASE("kafka sink config: defaults, and the producer is idempotent with acks all", "[kafka]") {
  Validated v = validate("brokers: [a:9092]\ntopic: logs\n");
  REQUIRE(v.errors.empty());
  REQUIRE(v.config);
  CHECK(v.sink().topic == "logs");
  CHECK(v.sink().key == "{source}");
  CHECK(v.sink().value == ValueFormat::Rfc5424);
  Result<KafkaConfPtr> conf = makeKafkaConf(v.sink().client, v.sink().properties);
  REQUIRE(conf.ok());
  char value[64];
  size_t size = sizeof value;
  REQUIRE(rd_kafka_conf_get(conf->get(), "enable.idempotence", value, &size) == RD_KAFKA_CONF_OK);
  CHECK(std::string(value) == "true");
  size = sizeof value;
  REQUIRE(rd_kafka_conf_get(conf->get(), "compression.codec", value, &size) == RD_KAFKA_CONF_OK);
  CHECK(std::string(value) == "lz4");
}

TEST_CASE("kafka sink config: bad keys, values and overrides are errors at their place", "[kafka]") {
  CHECK(validate("brokers: [a:9092]\ntopic: logs\nkey: \"{pid}\"\n").errors.messages() ==
        Messages{"test.yaml:3:6: key: unknown placeholder '{pid}' (known: {source}, {hostname}, {app_name})"});
  CHECK(validate("brokers: [a:9092]\ntopic: logs\nacks: 1\n").errors.size() == 1);
  CHECK(validate("brokers: [a:9092]\ntopic: logs\nlibrdkafka: {enable.idempotence: 'false'}\n").errors.messages() ==
        Messages{"test.yaml:3:14: librdkafka.enable.idempotence: set by Sluice, not here"});
  // A default of the sink's may be changed.
  CHECK(validate("brokers: [a:9092]\ntopic: logs\nlibrdkafka: {message.timeout.ms: '60000'}\n").errors.empty());
  CHECK(validate("brokers: [a:9092]\n").errors.messages() == Messages{"test.yaml:1:1: missing required key 'topic'"});
}

TEST_CASE("kafka sink: a batch is delivered once every record has its report", "[kafka]") {
  MockClusterSink m;
  auto& [loop, v, counters, sink] = m;
  CHECK(sink->describe() == "brokers unused:9092 topic unit");
  std::vector<Batch> batches(3);
  std::vector<Outcome> outcomes;
  for (size_t i = 0; i < batches.size(); ++i) {
    batches[i].frame_id = "frame-" + std::to_string(i);
    batches[i].bytes.append(frames({kMessage, kMessage, kMessage}));
    batches[i].count = 3;
    sink->deliver(batches[i], [&](Outcome o) { outcomes.push_back(o); });
  }
  REQUIRE(runLoopUntil(loop, [&] { return outcomes.size() == 3; }, 30s));
  for (const Outcome& o : outcomes) CHECK(o.verdict == Verdict::Delivered);
  m.stop();
}

TEST_CASE("kafka sink: stopping gives back what is in flight as Retry(\"stopping\")", "[kafka]") {
  Loop loop;
  // No broker answers: the records stay in librdkafka.
  Validated v = validate("brokers: [127.0.0.1:1]\ntopic: unit\n");
  REQUIRE(v.config);
  auto sink = std::make_unique<KafkaSink>(loop, "bus", v.sink());
  REQUIRE(sink->start().ok());
  Batch batch;
  batch.frame_id = "frame";
  batch.bytes.append(frames({kMessage}));
  batch.count = 1;
  std::vector<Outcome> outcomes;
  sink->deliver(batch, [&](Outcome o) { outcomes.push_back(o); });
  bool stopped = false;
  sink->stop([&] { stopped = true; });
  REQUIRE(runLoopUntil(loop, [&] { return stopped; }, 10s));
  REQUIRE(outcomes.size() == 1);
  CHECK(outcomes[0].verdict == Verdict::Retry);
  CHECK(outcomes[0].reason == "stopping");
  sink.reset();
  CHECK(loop.close() == 0);
}

TEST_CASE("kafka sink: after a fatal producer error a new producer takes over and batches are delivered again",
          "[kafka]") {
  MockClusterSink m;
  auto& [loop, v, counters, sink] = m;
  Batch batch;
  batch.frame_id = "frame";
  batch.bytes.append(frames({kMessage, kMessage}));
  batch.count = 2;
  // Delivers `batch` as the core would: again after each Retry, until a verdict other than Retry.
  auto deliverUntilDone = [&](std::vector<Outcome>& seen) {
    bool done = false;
    std::function<void()> send = [&] {
      sink->deliver(batch, [&](Outcome o) {
        seen.push_back(o);
        if (o.verdict == Verdict::Retry) {
          loop.post(send);
        } else {
          done = true;
        }
      });
    };
    send();
    return runLoopUntil(loop, [&] { return done; }, 30s);
  };
  std::vector<Outcome> first;
  REQUIRE(deliverUntilDone(first));
  CHECK(first.back().verdict == Verdict::Delivered);
  rd_kafka_t* before = sink->producer();
  REQUIRE(before != nullptr);
  REQUIRE(rd_kafka_test_fatal_error(before, RD_KAFKA_RESP_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER, "injected by the test") ==
          RD_KAFKA_RESP_ERR_NO_ERROR);
  std::vector<Outcome> second;
  REQUIRE(deliverUntilDone(second));
  CHECK(second.back().verdict == Verdict::Delivered);
  CHECK(second.size() > 1);  // refused by the failed producer at least once, then delivered by the new one
  CHECK(counters.plugin_events["kafka_producer_restarts"] == 1);
  m.stop();
}
