#pragma once
#include <chrono>
#include <map>
#include <string>

#include "agent/core/url.h"
#include "agent/net/tls_context.h"
#include "agent/plugin/plugin.h"
#include "agent/formats/ndjson_encoder.h"

namespace sluice::plugins::clf_json {

inline constexpr OptionSpec kOptions[] = {
    {"output", OptionType::String, kRequired,
     "a file (appended, reopened on SIGHUP), \"-\" for standard output, or an http(s):// URL receiving NDJSON POSTs"},
    {"schema", OptionType::Enum, "compact",
     "compact: the short names of Clever Cloud's access logs (t, ipS, vb, path, sC, sT, bOut, ...); "
     "ecs: Elastic Common Schema",
     "compact|ecs"},
    {"unparsed", OptionType::Enum, "raw",
     "a message that is not an access-log line: written as {\"raw\": ...}, or left out (counted either way)",
     "raw|drop"},
    {"fsync", OptionType::Bool, "false", "file output: fsync after every batch"},
    {"token", OptionType::Secret, "", "http(s) output: basic-auth password, user 'token' (overrides the URL's)"},
    {"headers", OptionType::StringMap, "{}", "http(s) output: extra HTTP headers on every request"},
    {"timeout", OptionType::Duration, "30s", "http(s) output: one request, sending a batch and reading the answer"},
    {"connect_timeout", OptionType::Duration, "10s", "http(s) output: TCP connect and TLS handshake"},
    {"tls.ca_file", OptionType::String, "", "https output: PEM file of CAs to trust instead of the system store"},
    {"tls.verify", OptionType::Bool, "true", "https output: verify the certificate and host name (false: tests only)"},
    {"tls.server_name", OptionType::String, "", "https output: name sent as SNI and verified (default: the URL's host)"},
    {"tls.cert_file", OptionType::String, "", "https output: client certificate (PEM)"},
    {"tls.key_file", OptionType::String, "", "https output: the client certificate's key (PEM)"},
};

enum class Output { File, Stdout, Http };

struct ClfJsonConfig : PluginConfig {
  Output output = Output::File;
  std::string path;               // File
  ParsedUrl url;                  // Http
  Schema schema = Schema::Compact;
  Unparsed unparsed = Unparsed::Raw;
  bool fsync = false;
  std::string auth_user;          // "" = no Authorization header
  std::string auth_password;
  std::map<std::string, std::string> headers;
  std::chrono::milliseconds timeout{30000};
  std::chrono::milliseconds connect_timeout{10000};
  TlsClientOptions tls;
  std::string server_name;

  std::string token() const override { return auth_password; }
};

std::unique_ptr<PluginConfig> validateClfJson(const OptionValues& values, ConfigErrors& errors);

}  // namespace sluice::plugins::clf_json
