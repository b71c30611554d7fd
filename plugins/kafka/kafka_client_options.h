#pragma once
// The keys every Kafka client of Sluice reads (the sink's producer, the source's consumer), declared once, and
// the one function that turns them into librdkafka's configuration. The `librdkafka` map is applied last and
// checked by librdkafka itself, so `sluice check` reports an unknown property or a bad value at its key.
#include <librdkafka/rdkafka.h>

#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "agent/config/options.h"
#include "agent/config/tls_options.h"
#include "agent/core/result.h"

namespace sluice::plugins::kafka {

inline constexpr OptionSpec kClientOwnOptions[] = {
    {"brokers", OptionType::StringList, kRequired,
     "bootstrap brokers: host:port (plain TCP) or tls://host:port (TLS, with tls.*); the same scheme for all"},
    {"sasl.mechanism", OptionType::Enum, "none", "SASL authentication (with sasl.username and sasl.password)",
     "none|PLAIN|SCRAM-SHA-256|SCRAM-SHA-512"},
    {"sasl.username", OptionType::String, "", "the SASL user"},
    {"sasl.password", OptionType::Secret, "", "the SASL password"},
    {"librdkafka", OptionType::StringMap, "{}",
     "other librdkafka properties (its CONFIGURATION.md), checked by librdkafka when the config is checked"},
};

inline constexpr auto kClientOptions = joinOptions(
    kClientOwnOptions,
    withHelp(withHelp(kTlsClientOptions, "tls.verify",
                      "verify each broker's certificate and host name (false: tests only, warned)"),
             "tls.server_name", "not used: librdkafka checks each broker's own name (setting it is an error)"));

struct KafkaConfDeleter {
  void operator()(rd_kafka_conf_t* conf) const noexcept { rd_kafka_conf_destroy(conf); }
};
using KafkaConfPtr = std::unique_ptr<rd_kafka_conf_t, KafkaConfDeleter>;

// A property a plugin sets from one of its own keys (the sink's `acks` → "acks"), or for itself (`option` ""):
// the librdkafka map may not set it again, unless it is only a default (`fixed` false).
struct KafkaProperty {
  std::string name;
  std::string value;
  std::string_view option;
  bool fixed = true;
};

struct KafkaClientSettings {
  std::vector<std::string> brokers;   // host:port, without the scheme
  bool tls = false;                   // the brokers were written tls://
  TlsClientSettings tls_settings;
  std::string sasl_mechanism;         // "" = none
  std::string sasl_username;
  std::string sasl_password;          // never logged
  std::map<std::string, std::string> librdkafka;
  std::map<std::string, Mark> librdkafka_marks;   // where each property of the map was written
  Mark section;                       // where the plugin's section starts

  std::string bootstrapServers() const;   // "a:9092,b:9092"
  std::string securityProtocol() const;   // plaintext | ssl | sasl_plaintext | sasl_ssl
};

// Reads kClientOptions. `properties` are the plugin's own (set before the librdkafka map): the whole
// configuration is built once here and thrown away, so that whatever librdkafka refuses is a config error.
KafkaClientSettings readKafkaClientOptions(const OptionValues& values, std::span<const KafkaProperty> properties,
                                           ConfigErrors& errors);

// The librdkafka configuration of a client: bootstrap.servers, security.protocol, ssl.*, sasl.*, then
// `properties`, then the librdkafka map. Errors (which readKafkaClientOptions has already reported) name the key.
Result<KafkaConfPtr> makeKafkaConf(const KafkaClientSettings& settings, std::span<const KafkaProperty> properties);

}  // namespace sluice::plugins::kafka
