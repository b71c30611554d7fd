#include "plugins/kafka/kafka_client_options.h"

#include <charconv>

namespace sluice::plugins::kafka {
namespace {

constexpr std::string_view kTlsScheme = "tls://";

// librdkafka properties that Sluice's own keys set: the librdkafka map may not set them again.
struct Reserved {
  std::string_view property;
  std::string_view option;
};
constexpr Reserved kReserved[] = {
    {"bootstrap.servers", "brokers"},         {"metadata.broker.list", "brokers"},
    {"security.protocol", "brokers (tls://) and sasl.mechanism"},
    {"ssl.ca.location", "tls.ca_file"},       {"ssl.certificate.location", "tls.cert_file"},
    {"ssl.key.location", "tls.key_file"},     {"enable.ssl.certificate.verification", "tls.verify"},
    {"ssl.endpoint.identification.algorithm", "tls.verify"},
    {"sasl.mechanism", "sasl.mechanism"},     {"sasl.mechanisms", "sasl.mechanism"},
    {"sasl.username", "sasl.username"},       {"sasl.password", "sasl.password"},
    {"log.queue", ""},
};

bool validPort(std::string_view text) {
  unsigned port = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), port);
  return ec == std::errc() && end == text.data() + text.size() && port >= 1 && port <= 65535;
}

// host:port or [v6]:port.
bool validBroker(std::string_view b) {
  size_t colon = b.rfind(':');
  if (colon == std::string_view::npos || colon == 0) return false;
  std::string_view host = b.substr(0, colon);
  if (host.front() == '[' && host.back() != ']') return false;
  if (host.front() != '[' && host.find(':') != std::string_view::npos) return false;
  return host.find_first_of(" /,") == std::string_view::npos && validPort(b.substr(colon + 1));
}

void readBrokers(const OptionValues& values, KafkaClientSettings& s, ConfigErrors& errors) {
  const std::vector<std::string>& list = values.list("brokers");
  if (list.empty() && values.isSet("brokers")) errors.add(values.mark("brokers"), "brokers: at least one host:port");
  size_t tls_count = 0;
  for (size_t i = 0; i < list.size(); ++i) {
    std::string_view b = list[i];
    if (b.starts_with(kTlsScheme)) {
      b.remove_prefix(kTlsScheme.size());
      ++tls_count;
    }
    if (!validBroker(b)) {
      errors.add(values.itemMark("brokers", i), "brokers: '" + list[i] + "' is not host:port or tls://host:port");
    }
    s.brokers.emplace_back(b);
  }
  s.tls = tls_count > 0;
  if (tls_count > 0 && tls_count < list.size()) {
    errors.add(values.mark("brokers"), "brokers: all tls://host:port or all host:port, not both");
  }
}

void readSasl(const OptionValues& values, KafkaClientSettings& s, ConfigErrors& errors) {
  const std::string& mechanism = values.str("sasl.mechanism");
  s.sasl_username = values.str("sasl.username");
  s.sasl_password = values.str("sasl.password");
  if (mechanism == "none") {
    for (const char* key : {"sasl.username", "sasl.password"}) {
      if (values.isSet(key)) errors.add(values.mark(key), std::string(key) + " needs sasl.mechanism");
    }
    return;
  }
  s.sasl_mechanism = mechanism;
  if (s.sasl_username.empty()) errors.add(values.mark("sasl.mechanism"), "sasl.mechanism needs sasl.username");
  if (s.sasl_password.empty()) errors.add(values.mark("sasl.mechanism"), "sasl.mechanism needs sasl.password");
}

// Sets one property; librdkafka's refusal becomes an error at `mark`, named `label`.
bool setProperty(rd_kafka_conf_t* conf, const std::string& name, const std::string& value, const Mark& mark,
                 const std::string& label, ConfigErrors& errors) {
  char reason[512] = {0};
  if (rd_kafka_conf_set(conf, name.c_str(), value.c_str(), reason, sizeof reason) == RD_KAFKA_CONF_OK) return true;
  errors.add(mark, label + ": " + reason);
  return false;
}

// The client group's own properties; their values were checked by readKafkaClientOptions.
std::vector<std::pair<std::string, std::string>> groupProperties(const KafkaClientSettings& s) {
  std::vector<std::pair<std::string, std::string>> p{{"bootstrap.servers", s.bootstrapServers()},
                                                     {"security.protocol", s.securityProtocol()}};
  if (s.tls) {
    const TlsClientOptions& t = s.tls_settings.options;
    if (!t.ca_file.empty()) p.emplace_back("ssl.ca.location", t.ca_file);
    if (!t.cert_file.empty()) p.emplace_back("ssl.certificate.location", t.cert_file);
    if (!t.key_file.empty()) p.emplace_back("ssl.key.location", t.key_file);
    p.emplace_back("enable.ssl.certificate.verification", t.verify ? "true" : "false");
    p.emplace_back("ssl.endpoint.identification.algorithm", t.verify ? "https" : "none");
  }
  if (!s.sasl_mechanism.empty()) {
    p.emplace_back("sasl.mechanism", s.sasl_mechanism);
    p.emplace_back("sasl.username", s.sasl_username);
    p.emplace_back("sasl.password", s.sasl_password);
  }
  return p;
}

std::string_view reservedBy(const std::string& property, std::span<const KafkaProperty> properties, bool* found) {
  *found = true;
  for (const Reserved& r : kReserved) {
    if (r.property == property) return r.option;
  }
  for (const KafkaProperty& p : properties) {
    if (p.name == property && p.fixed) return p.option;
  }
  *found = false;
  return {};
}

// Everything in order; errors go to `errors` (at the key that set the property: in `values` when given).
KafkaConfPtr buildConf(const KafkaClientSettings& s, std::span<const KafkaProperty> properties,
                       const OptionValues* values, ConfigErrors& errors) {
  KafkaConfPtr conf(rd_kafka_conf_new());
  const size_t before = errors.size();
  for (const auto& [name, value] : groupProperties(s)) {
    setProperty(conf.get(), name, value, s.section, "librdkafka property " + name, errors);
  }
  for (const KafkaProperty& p : properties) {
    Mark mark = values != nullptr && !p.option.empty() ? values->mark(p.option) : s.section;
    setProperty(conf.get(), p.name, p.value, mark, p.option.empty() ? p.name : std::string(p.option), errors);
  }
  for (const auto& [name, value] : s.librdkafka) {
    auto at = s.librdkafka_marks.find(name);
    const Mark& mark = at != s.librdkafka_marks.end() ? at->second : s.section;
    bool reserved = false;
    std::string_view option = reservedBy(name, properties, &reserved);
    if (reserved) {
      errors.add(mark, "librdkafka." + name + ": set by Sluice" +
                           (option.empty() ? std::string() : " from '" + std::string(option) + "'") + ", not here");
      continue;
    }
    setProperty(conf.get(), name, value, mark, "librdkafka." + name, errors);
  }
  if (errors.size() > before) return nullptr;
  return conf;
}

}  // namespace

std::string KafkaClientSettings::bootstrapServers() const {
  std::string out;
  for (const std::string& b : brokers) {
    if (!out.empty()) out += ',';
    out += b;
  }
  return out;
}

std::string KafkaClientSettings::securityProtocol() const {
  if (sasl_mechanism.empty()) return tls ? "ssl" : "plaintext";
  return tls ? "sasl_ssl" : "sasl_plaintext";
}

KafkaClientSettings readKafkaClientOptions(const OptionValues& values, std::span<const KafkaProperty> properties,
                                           ConfigErrors& errors) {
  KafkaClientSettings s;
  s.section = values.sectionMark();
  readBrokers(values, s, errors);
  readSasl(values, s, errors);
  s.tls_settings = readTlsClientOptions(values, errors);
  if (!s.tls) rejectOutside(values, kTlsClientOptions, "tls:// brokers", errors);
  if (s.tls && values.isSet("tls.server_name")) {
    errors.add(values.mark("tls.server_name"),
               "tls.server_name: not supported by kafka (librdkafka checks each broker's own host name)");
  }
  s.librdkafka = values.map("librdkafka");
  for (const auto& [name, value] : s.librdkafka) s.librdkafka_marks[name] = values.keyMark("librdkafka", name);
  if (!s.brokers.empty()) buildConf(s, properties, &values, errors);
  return s;
}

Result<KafkaConfPtr> makeKafkaConf(const KafkaClientSettings& settings, std::span<const KafkaProperty> properties) {
  ConfigErrors errors;
  KafkaConfPtr conf = buildConf(settings, properties, nullptr, errors);
  if (!conf) return Error{errors.joined()};
  return conf;
}

}  // namespace sluice::plugins::kafka
