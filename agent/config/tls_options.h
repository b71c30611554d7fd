#pragma once
// The tls.* keys, declared once: the client group of every sink that connects out (logplex_https, syslog,
// clf_json's HTTP output) and the server group of every input that serves TLS (the logplex input), each with the
// one reader that validates it.
#include <string>

#include "agent/config/options.h"
#include "agent/net/tls_context.h"

namespace sluice {

inline constexpr OptionSpec kTlsClientOptions[] = {
    {"tls.ca_file", OptionType::String, "", "PEM file of CAs to trust instead of the system store"},
    {"tls.verify", OptionType::Bool, "true", "verify the drain's certificate and host name (false: tests only, warned)"},
    {"tls.server_name", OptionType::String, "", "name sent as SNI and verified (default: the URL's host)"},
    {"tls.cert_file", OptionType::String, "", "client certificate (PEM), for drains that require one"},
    {"tls.key_file", OptionType::String, "", "the client certificate's key (PEM)"},
};

inline constexpr OptionSpec kTlsServerOptions[] = {
    {"tls.cert_file", OptionType::String, "", "PEM certificate chain: serve HTTPS (with tls.key_file)"},
    {"tls.key_file", OptionType::String, "", "the certificate's private key"},
};

struct TlsClientSettings {
  TlsClientOptions options;
  std::string server_name;   // SNI and the verified name; "" = the URL's host
};

// A certificate without its key (or the reverse) is an error.
TlsClientSettings readTlsClientOptions(const OptionValues& values, ConfigErrors& errors);

// Serving TLS needs both files, or neither (plain HTTP): anything else is an error. Nothing is read from disk.
TlsServerOptions readTlsServerOptions(const OptionValues& values, ConfigErrors& errors);

}  // namespace sluice
