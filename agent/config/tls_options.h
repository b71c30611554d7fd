#pragma once
// The tls.* keys of every sink that connects out (logplex_https, syslog, clf_json's HTTP output), read in one
// place: tls.ca_file, tls.verify, tls.server_name, tls.cert_file, tls.key_file.
#include <string>

#include "agent/config/options.h"
#include "agent/net/tls_context.h"

namespace sluice {

// Reads the keys into `tls` and `server_name`; a certificate without its key (or the reverse) is an error.
void readTlsClientOptions(const OptionValues& values, ConfigErrors& errors, TlsClientOptions* tls,
                          std::string* server_name);

}  // namespace sluice
