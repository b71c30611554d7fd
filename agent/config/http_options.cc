#include "agent/config/http_options.h"

#include "agent/net/http_wire.h"

namespace sluice {

Timeouts readTimeouts(const OptionValues& values, ConfigErrors& errors) {
  Timeouts t;
  t.timeout = values.duration("timeout");
  t.connect_timeout = values.duration("connect_timeout");
  if (t.timeout.count() <= 0) errors.add(values.mark("timeout"), "timeout must be positive");
  if (t.connect_timeout.count() <= 0) errors.add(values.mark("connect_timeout"), "connect_timeout must be positive");
  return t;
}

HttpClientSettings readHttpClientOptions(const OptionValues& values, ParsedUrl url, ConfigErrors& errors) {
  HttpClientSettings s;
  s.url = std::move(url);
  takeCredentials(s.url, values.str("token"), &s.auth_user, &s.auth_password);
  s.tls = readTlsClientOptions(values, errors);
  s.timeouts = readTimeouts(values, errors);
  s.headers = values.map("headers");
  for (const auto& [name, value] : s.headers) {
    if (!validHeader(name, value)) errors.add(values.mark("headers"), "headers: invalid header '" + name + "'");
  }
  return s;
}

}  // namespace sluice
