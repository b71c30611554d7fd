#include "agent/config/tls_options.h"

namespace sluice {

void readTlsClientOptions(const OptionValues& values, ConfigErrors& errors, TlsClientOptions* tls,
                          std::string* server_name) {
  tls->ca_file = values.str("tls.ca_file");
  tls->verify = values.boolean("tls.verify");
  tls->cert_file = values.str("tls.cert_file");
  tls->key_file = values.str("tls.key_file");
  *server_name = values.str("tls.server_name");
  if (tls->cert_file.empty() != tls->key_file.empty()) {
    errors.add(values.mark(tls->cert_file.empty() ? "tls.key_file" : "tls.cert_file"),
               "tls.cert_file and tls.key_file go together");
  }
}

}  // namespace sluice
