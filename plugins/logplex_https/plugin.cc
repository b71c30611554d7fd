#include <spdlog/spdlog.h>

#include "agent/sink/transport.h"
#include "plugins/logplex_https/config.h"
#include "plugins/logplex_https/transport.h"

namespace sluice::plugins::logplex_https {
namespace {

constexpr std::string_view kAliases[] = {"https"};

Result<std::unique_ptr<SinkTransport>> create(const PluginConfig& base, SinkContext& context) {
  const auto& config = static_cast<const LogplexConfig&>(base);
  std::shared_ptr<TlsContext> tls;
  if (config.secure()) {
    auto ctx = TlsContext::makeClient(config.tls);
    if (!ctx) return Error{"sink " + context.name + ": " + ctx.error().message};
    tls = std::move(*ctx);
    if (!config.tls.verify) {
      spdlog::warn("sink {}: tls.verify is false: the drain's certificate is not checked, anyone on the path can "
                   "read and change the logs", context.name);
    }
  } else {
    spdlog::warn("sink {}: {} is plain http: logs and credentials travel unencrypted (use https outside local tests)",
                 context.name, config.url.redacted());
  }
  return std::unique_ptr<SinkTransport>(
      std::make_unique<LogplexTransport>(context.loop, context.name, config, context.max_in_flight, std::move(tls)));
}

}  // namespace

extern const PluginDescriptor kLogplexHttpsSink = {
    .kind = PluginKind::Sink,
    .name = "logplex_https",
    .aliases = kAliases,
    .help = "HTTPS log drain: batches of RFC 5424 frames POSTed as application/logplex-1",
    .options = kOptions,
    .validate = &validateLogplex,
    .createSink = &create,
};

}  // namespace sluice::plugins::logplex_https
