#pragma once
// The keys of every output that connects out, declared once: how long connecting and a request may take
// (syslog over TCP/TLS, every HTTP output), and the rest of an HTTP client (the credentials, extra headers and
// tls.*), each with the one reader that validates it.
#include <chrono>
#include <map>
#include <string>

#include "agent/config/options.h"
#include "agent/config/tls_options.h"
#include "agent/core/url.h"

namespace sluice {

inline constexpr OptionSpec kTimeoutOptions[] = {
    {"timeout", OptionType::Duration, "30s", "a request (sending a batch and reading the answer) fails after this"},
    {"connect_timeout", OptionType::Duration, "10s", "TCP connect and TLS handshake"},
};

inline constexpr OptionSpec kHttpRequestOptions[] = {
    {"token", OptionType::Secret, "", "basic-auth password with user 'token' (overrides the URL's); {token} in message fields"},
    // Their values may carry credentials (Authorization: Bearer ...).
    secretOption({"headers", OptionType::StringMap, "{}", "extra HTTP headers sent with every request"}),
};

// Everything an HTTP output reads besides its URL.
inline constexpr auto kHttpClientOptions = joinOptions(kHttpRequestOptions, kTimeoutOptions, kTlsClientOptions);

struct Timeouts {
  std::chrono::milliseconds timeout{30000};
  std::chrono::milliseconds connect_timeout{10000};
};

// Both must be positive.
Timeouts readTimeouts(const OptionValues& values, ConfigErrors& errors);

// How an HTTP output reaches its endpoint (logplex_https, clf_json's http(s) output).
struct HttpClientSettings {
  ParsedUrl url;                 // without its credentials (they are below): safe to log
  std::string auth_user;         // "" = no Authorization header
  std::string auth_password;     // the token: never logged
  std::map<std::string, std::string> headers;
  Timeouts timeouts;
  TlsClientSettings tls;

  bool secure() const { return url.scheme == "https"; }
};

// Reads kHttpClientOptions for `url` (already parsed and checked by the plugin, which names its key): the
// credentials are taken out of the URL (`token` wins over its password), headers must be sendable as they are.
HttpClientSettings readHttpClientOptions(const OptionValues& values, ParsedUrl url, ConfigErrors& errors);

}  // namespace sluice
