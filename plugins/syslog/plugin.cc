#include <spdlog/spdlog.h>

#include "agent/sink/transport.h"
#include "plugins/syslog/config.h"
#include "plugins/syslog/stream_transport.h"
#include "plugins/syslog/udp_transport.h"

namespace sluice::plugins::syslog {
namespace {

constexpr std::string_view kHelp =
    "RFC 5424 messages over TCP (RFC 6587 octet counting or LF), TLS (RFC 5425) or UDP (RFC 5426)";

Result<std::unique_ptr<SinkTransport>> create(const PluginConfig& base, SinkContext& context) {
  const auto& config = static_cast<const SyslogConfig&>(base);
  if (config.transport == Transport::Udp) {
    return std::unique_ptr<SinkTransport>(std::make_unique<UdpTransport>(context.loop, context.name, config));
  }
  std::shared_ptr<TlsContext> tls;
  if (config.transport == Transport::Tls) {
    auto ctx = TlsContext::makeClient(config.tls.options);
    if (!ctx) return Error{"sink " + context.name + ": " + ctx.error().message};
    tls = std::move(*ctx);
    if (!config.tls.options.verify) {
      spdlog::warn("sink {}: tls.verify is false: the receiver's certificate is not checked, anyone on the path can "
                   "read and change the logs", context.name);
    }
  } else {
    spdlog::debug("sink {}: tcp:// is plain text; use tls:// outside a trusted network", context.name);
  }
  return std::unique_ptr<SinkTransport>(
      std::make_unique<StreamTransport>(context.loop, context.name, config, std::move(tls)));
}

}  // namespace

extern const PluginDescriptor kSyslogSink = sinkPlugin("syslog", kHelp, kOptions, &validateSyslog, &create);

}  // namespace sluice::plugins::syslog
