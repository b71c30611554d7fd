#include "plugins/clf_json/config.h"

#include "agent/net/http_wire.h"
#include "agent/config/tls_options.h"

namespace sluice::plugins::clf_json {

std::unique_ptr<PluginConfig> validateClfJson(const OptionValues& values, ConfigErrors& errors) {
  auto c = std::make_unique<ClfJsonConfig>();
  size_t before = errors.size();
  const std::string& output = values.str("output");
  c->schema = values.str("schema") == "ecs" ? Schema::Ecs : Schema::Compact;
  c->unparsed = values.str("unparsed") == "drop" ? Unparsed::Drop : Unparsed::Raw;
  c->fsync = values.boolean("fsync");
  if (output.empty()) {
    errors.add(values.mark("output"), "output must not be empty (\"-\" is standard output)");
    return nullptr;
  }
  if (output == "-") {
    c->output = Output::Stdout;
  } else if (output.starts_with("http://") || output.starts_with("https://")) {
    c->output = Output::Http;
    Result<ParsedUrl> url = parseUrl(output);
    if (!url) {
      errors.add(values.mark("output"), "output: " + url.error().message);
      return nullptr;
    }
    c->url = std::move(*url);
  } else if (output.find("://") != std::string::npos) {
    errors.add(values.mark("output"), "output: only http:// and https:// URLs are supported ('" +
                                          output.substr(0, output.find("://")) + "://' is not)");
    return nullptr;
  } else {
    c->output = Output::File;
    c->path = output;
  }
  const bool http = c->output == Output::Http;
  if (c->fsync && c->output != Output::File) errors.add(values.mark("fsync"), "fsync applies to file output only");
  if (!http) {
    for (const char* key : {"token", "headers", "timeout", "connect_timeout"}) {
      if (values.isSet(key)) errors.add(values.mark(key), std::string(key) + " applies to http(s) output only");
    }
  }
  if (!http || c->url.scheme != "https") {
    for (const char* key : {"tls.ca_file", "tls.verify", "tls.server_name", "tls.cert_file", "tls.key_file"}) {
      if (values.isSet(key)) errors.add(values.mark(key), std::string(key) + " applies to https output only");
    }
  }
  if (http) {
    takeCredentials(c->url, values.str("token"), &c->auth_user, &c->auth_password);
    c->headers = values.map("headers");
    for (const auto& [name, value] : c->headers) {
      if (!validHeader(name, value)) {
        errors.add(values.mark("headers"), "headers: invalid header '" + name + "'");
      }
    }
    c->timeout = values.duration("timeout");
    c->connect_timeout = values.duration("connect_timeout");
    if (c->timeout.count() <= 0) errors.add(values.mark("timeout"), "timeout must be positive");
    if (c->connect_timeout.count() <= 0) errors.add(values.mark("connect_timeout"), "connect_timeout must be positive");
    readTlsClientOptions(values, errors, &c->tls, &c->server_name);
  }
  if (errors.size() > before) return nullptr;
  return c;
}

}  // namespace sluice::plugins::clf_json
