#include "agent/config/tls_options.h"

namespace sluice {
namespace {

void checkPair(const OptionValues& values, const std::string& cert, const std::string& key, ConfigErrors& errors) {
  if (cert.empty() != key.empty()) {
    errors.add(values.mark(cert.empty() ? "tls.key_file" : "tls.cert_file"), "tls.cert_file and tls.key_file go together");
  }
}

}  // namespace

TlsClientSettings readTlsClientOptions(const OptionValues& values, ConfigErrors& errors) {
  TlsClientSettings s;
  s.options.ca_file = values.str("tls.ca_file");
  s.options.verify = values.boolean("tls.verify");
  s.options.cert_file = values.str("tls.cert_file");
  s.options.key_file = values.str("tls.key_file");
  s.server_name = values.str("tls.server_name");
  checkPair(values, s.options.cert_file, s.options.key_file, errors);
  return s;
}

TlsServerOptions readTlsServerOptions(const OptionValues& values, ConfigErrors& errors) {
  TlsServerOptions o;
  o.cert_file = values.str("tls.cert_file");
  o.key_file = values.str("tls.key_file");
  checkPair(values, o.cert_file, o.key_file, errors);
  return o;
}

}  // namespace sluice
