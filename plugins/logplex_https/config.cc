#include "plugins/logplex_https/config.h"

#include "agent/net/http_wire.h"
#include "agent/config/tls_options.h"

namespace sluice::plugins::logplex_https {

std::unique_ptr<PluginConfig> validateLogplex(const OptionValues& values, ConfigErrors& errors) {
  auto c = std::make_unique<LogplexConfig>();
  Result<ParsedUrl> url = parseUrl(values.str("url"));
  if (!url) {
    errors.add(values.mark("url"), "url: " + url.error().message);
    return nullptr;
  }
  c->url = std::move(*url);
  if (c->url.scheme != "https" && c->url.scheme != "http") {
    errors.add(values.mark("url"), "url: the scheme must be https (or http for local tests), not '" + c->url.scheme + "'");
    return nullptr;
  }
  takeCredentials(c->url, values.str("token"), &c->auth_user, &c->auth_password);
  readTlsClientOptions(values, errors, &c->tls, &c->server_name);
  c->timeout = values.duration("timeout");
  c->connect_timeout = values.duration("connect_timeout");
  if (c->timeout.count() <= 0) errors.add(values.mark("timeout"), "timeout must be positive");
  if (c->connect_timeout.count() <= 0) errors.add(values.mark("connect_timeout"), "connect_timeout must be positive");
  c->headers = values.map("headers");
  for (const auto& [name, value] : c->headers) {
    if (!validHeader(name, value)) {
      errors.add(values.mark("headers"), "headers: invalid header '" + name + "'");
    }
  }
  return c;
}

}  // namespace sluice::plugins::logplex_https
