#include "plugins/clf_json/config.h"

namespace sluice::plugins::clf_json {

std::unique_ptr<PluginConfig> validateClfJson(const OptionValues& values, ConfigErrors& errors) {
  auto c = std::make_unique<ClfJsonConfig>();
  size_t before = errors.size();
  const std::string& output = values.str("output");
  c->schema = values.str("schema") == "ecs" ? Schema::Ecs : Schema::Compact;
  c->unparsed = values.str("unparsed") == "drop" ? Unparsed::Drop : Unparsed::Raw;
  c->fsync = values.boolean("fsync");
  ParsedUrl url;  // Http
  if (output.empty()) {
    errors.add(values.mark("output"), "output must not be empty (\"-\" is standard output)");
    return nullptr;
  }
  if (output == "-") {
    c->output = Output::Stdout;
  } else if (output.starts_with("http://") || output.starts_with("https://")) {
    c->output = Output::Http;
    Result<ParsedUrl> parsed = parseUrl(output);
    if (!parsed) {
      errors.add(values.mark("output"), "output: " + parsed.error().message);
      return nullptr;
    }
    url = std::move(*parsed);
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
    rejectOutside(values, kHttpRequestOptions, kHttpScope, errors);
    rejectOutside(values, kTimeoutOptions, kHttpScope, errors);
  }
  if (!http || url.scheme != "https") rejectOutside(values, kTlsClientOptions, kHttpsScope, errors);
  if (http) c->http = readHttpClientOptions(values, std::move(url), errors);
  if (errors.size() > before) return nullptr;
  return c;
}

}  // namespace sluice::plugins::clf_json
