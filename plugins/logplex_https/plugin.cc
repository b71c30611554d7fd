#include "agent/sink/http_output.h"
#include "plugins/logplex_https/config.h"
#include "plugins/logplex_https/encoder.h"

namespace sluice::plugins::logplex_https {
namespace {

constexpr std::string_view kHelp = "HTTPS log drain: batches of RFC 5424 frames POSTed as application/logplex-1";

constexpr std::string_view kAliases[] = {"https"};

Result<std::unique_ptr<SinkTransport>> create(const PluginConfig& base, SinkContext& context) {
  const auto& config = static_cast<const LogplexConfig&>(base);
  auto output = HttpOutput::create(context.loop, context.name, config.http, context.max_in_flight,
                                   [](const Batch& batch, HttpPayload& out) noexcept { out = logplexPayload(batch); });
  if (!output) return output.takeError();
  return std::unique_ptr<SinkTransport>(std::move(*output));
}

}  // namespace

extern const PluginDescriptor kLogplexHttpsSink =
    sinkPlugin("logplex_https", kHelp, kOptions, &validateLogplex, &create, kAliases);

}  // namespace sluice::plugins::logplex_https
