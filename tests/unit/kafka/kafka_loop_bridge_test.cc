#include <catch2/catch.hpp>
#include <thread>

#include "plugins/kafka/kafka_loop_bridge.h"
#include "tests/support/wait.h"

using namespace sluice;
using namespace sluice::plugins::kafka;
using namespace std::chrono_literals;

namespace {

struct Reports {
  std::thread::id loop_thread = std::this_thread::get_id();
  int delivered = 0;
  int failed = 0;
  bool on_other_thread = false;
};

void onDelivery(rd_kafka_t*, const rd_kafka_message_t* m, void* opaque) {
  auto* r = static_cast<Reports*>(opaque);
  if (std::this_thread::get_id() != r->loop_thread) r->on_other_thread = true;
  (m->err == RD_KAFKA_RESP_ERR_NO_ERROR ? r->delivered : r->failed) += 1;
}

// A producer against librdkafka's in-process mock cluster (test.mock.num.brokers).
KafkaConfPtr mockProducerConf(Reports& reports) {
  KafkaConfPtr conf(rd_kafka_conf_new());
  char reason[256];
  REQUIRE(rd_kafka_conf_set(conf.get(), "test.mock.num.brokers", "1", reason, sizeof reason) == RD_KAFKA_CONF_OK);
  REQUIRE(rd_kafka_conf_set(conf.get(), "linger.ms", "1", reason, sizeof reason) == RD_KAFKA_CONF_OK);
  rd_kafka_conf_set_dr_msg_cb(conf.get(), &onDelivery);
  rd_kafka_conf_set_opaque(conf.get(), &reports);
  return conf;
}

}  // namespace

TEST_CASE("kafka: delivery reports reach the loop thread through the async wakeup", "[kafka]") {
  Loop loop;
  Reports reports;
  int serves = 0;
  auto client = KafkaLoopClient::create(loop, KafkaLoopClient::Role::Producer, mockProducerConf(reports), "test",
                                        [&](rd_kafka_t* rk) {
                                          ++serves;
                                          return KafkaLoopClient::pollProducer(rk, 2);
                                        });
  REQUIRE(client.ok());
  rd_kafka_t* rk = (*client)->get();
  for (int i = 0; i < 100; ++i) {
    std::string value = "line " + std::to_string(i);
    REQUIRE(rd_kafka_producev(rk, RD_KAFKA_V_TOPIC("bridge"), RD_KAFKA_V_VALUE(value.data(), value.size()),
                              RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END) == RD_KAFKA_RESP_ERR_NO_ERROR);
  }
  // Nothing polls librdkafka but the loop: the reports come only through the wakeup.
  CHECK(runLoopUntil(loop, [&] { return reports.delivered == 100; }, 20s));
  CHECK(reports.failed == 0);
  CHECK_FALSE(reports.on_other_thread);
  CHECK(serves > 0);
  (*client)->close();
  (*client)->close();  // idempotent
  client = Error{"gone"};
  CHECK(loop.close() == 0);
}

TEST_CASE("kafka: a client that librdkafka refuses is an error and leaves no handle", "[kafka]") {
  Loop loop;
  KafkaConfPtr conf(rd_kafka_conf_new());
  char reason[256];
  // Idempotence with acks other than all is refused by rd_kafka_new itself.
  REQUIRE(rd_kafka_conf_set(conf.get(), "enable.idempotence", "true", reason, sizeof reason) == RD_KAFKA_CONF_OK);
  REQUIRE(rd_kafka_conf_set(conf.get(), "acks", "1", reason, sizeof reason) == RD_KAFKA_CONF_OK);
  auto client = KafkaLoopClient::create(loop, KafkaLoopClient::Role::Producer, std::move(conf), "bad",
                                        [](rd_kafka_t*) { return false; });
  REQUIRE_FALSE(client.ok());
  CHECK(client.error().message.starts_with("bad: "));
  CHECK(loop.close() == 0);
}
