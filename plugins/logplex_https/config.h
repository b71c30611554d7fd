#pragma once
#include <chrono>
#include <map>
#include <string>

#include "agent/core/url.h"
#include "agent/net/tls_context.h"
#include "agent/plugin/plugin.h"

namespace sluice::plugins::logplex_https {

inline constexpr OptionSpec kOptions[] = {
    {"url", OptionType::Url, kRequired,
     "the drain, https://host/path; user info (https://token:SECRET@host/path) gives the basic-auth credentials"},
    {"token", OptionType::Secret, "", "basic-auth password with user 'token' (overrides the URL's); {token} in message fields"},
    {"tls.ca_file", OptionType::String, "", "PEM file of CAs to trust instead of the system store"},
    {"tls.verify", OptionType::Bool, "true", "verify the drain's certificate and host name (false: tests only, warned)"},
    {"tls.server_name", OptionType::String, "", "name sent as SNI and verified (default: the URL's host)"},
    {"tls.cert_file", OptionType::String, "", "client certificate (PEM), for drains that require one"},
    {"tls.key_file", OptionType::String, "", "the client certificate's key (PEM)"},
    {"timeout", OptionType::Duration, "30s", "a request (sending a batch and reading the answer) fails after this"},
    {"connect_timeout", OptionType::Duration, "10s", "TCP connect and TLS handshake"},
    {"headers", OptionType::StringMap, "{}", "extra HTTP headers sent with every request"},
};

struct LogplexConfig : PluginConfig {
  ParsedUrl url;
  std::string auth_user;         // "" = no Authorization header
  std::string auth_password;
  TlsClientOptions tls;
  std::string server_name;
  std::chrono::milliseconds timeout{30000};
  std::chrono::milliseconds connect_timeout{10000};
  std::map<std::string, std::string> headers;

  std::string token() const override { return auth_password; }
  bool secure() const { return url.scheme == "https"; }
};

std::unique_ptr<PluginConfig> validateLogplex(const OptionValues& values, ConfigErrors& errors);

}  // namespace sluice::plugins::logplex_https
