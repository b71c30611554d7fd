#pragma once
#include <memory>
#include <string>
#include <string_view>

#include "agent/config/http_options.h"
#include "agent/formats/ndjson_encoder.h"
#include "agent/plugin/plugin.h"

namespace sluice::plugins::clf_json {

inline constexpr OptionSpec kOwnOptions[] = {
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
};

// Where the shared groups apply: their help says so, and setting them for another output is an error.
inline constexpr std::string_view kHttpScope = "http(s) output";
inline constexpr std::string_view kHttpsScope = "https output";

inline constexpr auto kOptions =
    joinOptions(kOwnOptions, scopedOptions(kHttpRequestOptions, kHttpScope), scopedOptions(kTimeoutOptions, kHttpScope),
                scopedOptions(kTlsClientOptions, kHttpsScope));

enum class Output { File, Stdout, Http };

struct ClfJsonConfig : PluginConfig {
  Output output = Output::File;
  std::string path;               // File
  Schema schema = Schema::Compact;
  Unparsed unparsed = Unparsed::Raw;
  bool fsync = false;
  HttpClientSettings http;        // Http: the URL, credentials, headers, timeouts, tls

  std::string token() const override { return http.auth_password; }
};

std::unique_ptr<PluginConfig> validateClfJson(const OptionValues& values, ConfigErrors& errors);

}  // namespace sluice::plugins::clf_json
