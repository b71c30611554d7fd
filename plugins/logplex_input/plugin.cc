#include "agent/config/tls_options.h"
#include "agent/sources/source_options.h"
#include "plugins/logplex_input/logplex_source.h"

namespace sluice::plugins::logplex_input {
namespace {

constexpr std::string_view kHelp = "an HTTP(S) input for application/logplex-1 POSTs (add-on log collectors, other Sluices)";

constexpr OptionSpec kOwnOptions[] = {
    {"listen", OptionType::String, "127.0.0.1:8443", "HOST:PORT accepting application/logplex-1 POSTs"},
    {"path", OptionType::String, "/logs", "the path POSTs go to"},
    secretOption({"tokens", OptionType::StringList, kRequired, "log tokens accepted as basic auth token:<token>; never logged"}),
    {"token_names", OptionType::StringMap, "{}", "a name per token, for {token_name} in rewrite.* (default: the source's name)"},
    {"rewrite.hostname", OptionType::String, "", "replaces the HOSTNAME of every frame; {token_name} and {source} expand (\"\": as sent)"},
    {"rewrite.app_name", OptionType::String, "", "replaces the APP-NAME of every frame; {token_name} and {source} expand (\"\": as sent)"},
    {"max_body", OptionType::Size, "4MiB", "larger bodies are answered 413"},
    {"frame_id_ttl", OptionType::Duration, "10m", "how long a Logplex-Frame-Id is remembered, so a retried batch is forwarded once"},
    {"retry_after", OptionType::Duration, "1s", "the Retry-After of 429 and 503 answers"},
    {"max_connections", OptionType::Count, "1024", "connections at once, also capped at half the open-file limit (the rest stays for files, sinks and the API); past it the one idle longest gives its place, or the new one is refused (counted)"},
};

constexpr auto kOptions = joinOptions(kOwnOptions, kTlsServerOptions);

Result<std::unique_ptr<Source>> create(const PluginConfig& config, SourceContext& context) {
  auto source = LogplexSource::create(context.loop, context.router, std::move(context.info), sourceValues(config));
  if (!source) return source.takeError();
  return std::unique_ptr<Source>(std::move(*source));
}

}  // namespace

extern const PluginDescriptor kLogplexSource =
    sourcePlugin("logplex", kHelp, kOptions, &checkSourceValues<&validateLogplexOptions>, &create);

}  // namespace sluice::plugins::logplex_input
