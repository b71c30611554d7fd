#include "plugins/logplex_https/config.h"

#include "agent/net/tls_options.h"

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
  // Credentials: `token:` wins over the URL's user info; the user is the URL's, else "token" (logplex's
  // convention: user 'token', password = the log token).
  c->auth_user = c->url.user;
  c->auth_password = c->url.password;
  if (values.isSet("token") && !values.str("token").empty()) {
    c->auth_password = values.str("token");
    if (c->auth_user.empty()) c->auth_user = "token";
  }
  if (c->auth_user.empty() && !c->auth_password.empty()) c->auth_user = "token";
  c->url.user.clear();
  c->url.password.clear();
  c->url.has_password = false;
  readTlsClientOptions(values, errors, &c->tls, &c->server_name);
  c->timeout = values.duration("timeout");
  c->connect_timeout = values.duration("connect_timeout");
  if (c->timeout.count() <= 0) errors.add(values.mark("timeout"), "timeout must be positive");
  if (c->connect_timeout.count() <= 0) errors.add(values.mark("connect_timeout"), "connect_timeout must be positive");
  c->headers = values.map("headers");
  for (const auto& [name, value] : c->headers) {
    if (name.empty() || name.find_first_of(" :\r\n") != std::string::npos || value.find_first_of("\r\n") != std::string::npos) {
      errors.add(values.mark("headers"), "headers: invalid header '" + name + "'");
    }
  }
  return c;
}

}  // namespace sluice::plugins::logplex_https
