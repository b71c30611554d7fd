#include "plugins/logplex_https/config.h"

namespace sluice::plugins::logplex_https {

std::unique_ptr<PluginConfig> validateLogplex(const OptionValues& values, ConfigErrors& errors) {
  Result<ParsedUrl> url = parseUrl(values.str("url"));
  if (!url) {
    errors.add(values.mark("url"), "url: " + url.error().message);
    return nullptr;
  }
  if (url->scheme != "https" && url->scheme != "http") {
    errors.add(values.mark("url"), "url: the scheme must be https (or http for local tests), not '" + url->scheme + "'");
    return nullptr;
  }
  auto c = std::make_unique<LogplexConfig>();
  c->http = readHttpClientOptions(values, std::move(*url), errors);
  return c;
}

}  // namespace sluice::plugins::logplex_https
