#include <yaml-cpp/yaml.h>

#include <catch2/catch.hpp>

#include "plugins/kafka/kafka_client_options.h"

using namespace sluice;
using namespace sluice::plugins::kafka;
using Messages = std::vector<std::string>;

namespace {

struct Read {
  OptionValues values;
  ConfigErrors errors;
  KafkaClientSettings settings;
};

Read read(const std::string& yaml, std::vector<KafkaProperty> properties = {}) {
  Read r;
  r.values = parseOptions(YAML::Load(yaml), Mark{"test.yaml", 1, 1}, {kClientOptions}, r.errors);
  r.settings = readKafkaClientOptions(r.values, properties, r.errors);
  return r;
}

std::string property(rd_kafka_conf_t* conf, const char* name) {
  char value[512];
  size_t size = sizeof value;
  if (rd_kafka_conf_get(conf, name, value, &size) != RD_KAFKA_CONF_OK) return "<unset>";
  return value;
}

KafkaConfPtr conf(const Read& r, std::vector<KafkaProperty> properties = {}) {
  Result<KafkaConfPtr> c = makeKafkaConf(r.settings, properties);
  INFO((c ? "" : c.error().message));
  REQUIRE(c.ok());
  return std::move(*c);
}

}  // namespace

TEST_CASE("kafka: brokers become bootstrap.servers over plain TCP", "[kafka]") {
  Read r = read("brokers: [kafka-1:9092, '10.0.0.2:9093', '[::1]:9094']\n");
  REQUIRE(r.errors.empty());
  KafkaConfPtr c = conf(r);
  CHECK(property(c.get(), "bootstrap.servers") == "kafka-1:9092,10.0.0.2:9093,[::1]:9094");
  CHECK(property(c.get(), "security.protocol") == "plaintext");
}

TEST_CASE("kafka: a broker that is not host:port is an error at its item", "[kafka]") {
  CHECK(read("brokers:\n  - a:9092\n  - b\n").errors.messages() ==
        Messages{"test.yaml:3:5: brokers: 'b' is not host:port or tls://host:port"});
  CHECK(read("brokers: [a:0]\n").errors.size() == 1);
  CHECK(read("brokers: []\n").errors.messages() == Messages{"test.yaml:1:10: brokers: at least one host:port"});
  CHECK(read("{}").errors.messages() == Messages{"test.yaml:1:1: missing required key 'brokers'"});
}

TEST_CASE("kafka: tls:// brokers turn TLS on with the shared tls.* keys", "[kafka]") {
  Read r = read("brokers: [tls://a:9093]\ntls: {ca_file: /ca.pem, cert_file: /c.pem, key_file: /k.pem}\n");
  REQUIRE(r.errors.empty());
  KafkaConfPtr c = conf(r);
  CHECK(property(c.get(), "bootstrap.servers") == "a:9093");
  CHECK(property(c.get(), "security.protocol") == "ssl");
  CHECK(property(c.get(), "ssl.ca.location") == "/ca.pem");
  CHECK(property(c.get(), "ssl.certificate.location") == "/c.pem");
  CHECK(property(c.get(), "ssl.key.location") == "/k.pem");
  CHECK(property(c.get(), "enable.ssl.certificate.verification") == "true");
  CHECK(property(c.get(), "ssl.endpoint.identification.algorithm") == "https");
  KafkaConfPtr unverified = conf(read("brokers: [tls://a:9093]\ntls: {verify: false}\n"));
  CHECK(property(unverified.get(), "enable.ssl.certificate.verification") == "false");
  CHECK(property(unverified.get(), "ssl.endpoint.identification.algorithm") == "none");
}

TEST_CASE("kafka: tls.* without tls:// brokers, mixed schemes and tls.server_name are errors", "[kafka]") {
  CHECK(read("brokers: [a:9092]\ntls: {ca_file: /ca.pem}\n").errors.size() == 1);
  CHECK(read("brokers: [tls://a:9093, b:9092]\n").errors.messages() ==
        Messages{"test.yaml:1:10: brokers: all tls://host:port or all host:port, not both"});
  CHECK(read("brokers: [tls://a:9093]\ntls: {server_name: x}\n").errors.size() == 1);
}

TEST_CASE("kafka: sasl maps to sasl_plaintext or sasl_ssl and its password is a secret", "[kafka]") {
  Read r = read("brokers: [a:9092]\nsasl: {mechanism: scram-sha-512, username: u, password: p}\n");
  REQUIRE(r.errors.empty());
  KafkaConfPtr c = conf(r);
  CHECK(property(c.get(), "security.protocol") == "sasl_plaintext");
  CHECK(property(c.get(), "sasl.mechanisms") == "SCRAM-SHA-512");
  CHECK(property(c.get(), "sasl.username") == "u");
  CHECK(property(c.get(), "sasl.password") == "p");
  Read tls = read("brokers: [tls://a:9093]\nsasl: {mechanism: PLAIN, username: u, password: p}\n");
  CHECK(property(conf(tls).get(), "security.protocol") == "sasl_ssl");
  for (const OptionSpec& spec : kClientOptions) {
    if (spec.name == "sasl.password") CHECK(isSecret(spec));
  }
  CHECK(read("brokers: [a:9092]\nsasl: {mechanism: PLAIN}\n").errors.size() == 2);
  CHECK(read("brokers: [a:9092]\nsasl: {username: u}\n").errors.messages() ==
        Messages{"test.yaml:2:18: sasl.username needs sasl.mechanism"});
}

TEST_CASE("kafka: the librdkafka map is applied last and checked by librdkafka at its key", "[kafka]") {
  Read ok = read("brokers: [a:9092]\nlibrdkafka:\n  linger.ms: '25'\n  client.id: sluice-test\n",
                 {{"linger.ms", "5", ""}});
  // linger.ms is the plugin's own here: the map may not set it again.
  CHECK(ok.errors.messages() == Messages{"test.yaml:3:3: librdkafka.linger.ms: set by Sluice, not here"});
  Read r = read("brokers: [a:9092]\nlibrdkafka:\n  socket.timeout.ms: '1234'\n  client.id: sluice-test\n");
  REQUIRE(r.errors.empty());
  KafkaConfPtr c = conf(r);
  CHECK(property(c.get(), "socket.timeout.ms") == "1234");
  CHECK(property(c.get(), "client.id") == "sluice-test");
  Read unknown = read("brokers: [a:9092]\nlibrdkafka:\n  client.id: x\n  no.such.property: 1\n");
  REQUIRE(unknown.errors.size() == 1);
  CHECK(unknown.errors.messages()[0].starts_with("test.yaml:4:3: librdkafka.no.such.property: "));
  CHECK(unknown.errors.messages()[0].find("No such configuration property") != std::string::npos);
  Read bad = read("brokers: [a:9092]\nlibrdkafka: {socket.timeout.ms: lots}\n");
  REQUIRE(bad.errors.size() == 1);
  CHECK(bad.errors.messages()[0].starts_with("test.yaml:2:14: librdkafka.socket.timeout.ms: "));
  CHECK(read("brokers: [a:9092]\nlibrdkafka: {bootstrap.servers: b:1}\n").errors.messages() ==
        Messages{"test.yaml:2:14: librdkafka.bootstrap.servers: set by Sluice from 'brokers', not here"});
}

TEST_CASE("kafka: the plugin's own properties are set before the map", "[kafka]") {
  Read r = read("brokers: [a:9092]\n", {{"enable.idempotence", "true", ""}, {"compression.codec", "zstd", ""}});
  REQUIRE(r.errors.empty());
  KafkaConfPtr c = conf(r, {{"enable.idempotence", "true", ""}, {"compression.codec", "zstd", ""}});
  CHECK(property(c.get(), "enable.idempotence") == "true");
  CHECK(property(c.get(), "compression.codec") == "zstd");
}
