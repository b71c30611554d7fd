#pragma once
#include <memory>

#include "agent/config/http_options.h"
#include "agent/plugin/plugin.h"

namespace sluice::plugins::logplex_https {

inline constexpr OptionSpec kOwnOptions[] = {
    {"url", OptionType::Url, kRequired,
     "the drain, https://host/path; user info (https://token:SECRET@host/path) gives the basic-auth credentials"},
};

inline constexpr auto kOptions = joinOptions(kOwnOptions, kHttpClientOptions);

struct LogplexConfig : PluginConfig {
  HttpClientSettings http;

  std::string token() const override { return http.auth_password; }
};

std::unique_ptr<PluginConfig> validateLogplex(const OptionValues& values, ConfigErrors& errors);

}  // namespace sluice::plugins::logplex_https
