#include <spdlog/spdlog.h>

#include "agent/sink/file_output.h"
#include "agent/sink/transport.h"
#include "plugins/clf_json/config.h"
#include "plugins/clf_json/transport.h"
#include "agent/sink/file_output.h"

namespace sluice::plugins::clf_json {
namespace {

Result<std::unique_ptr<SinkTransport>> create(const PluginConfig& base, SinkContext& context) {
  const auto& config = static_cast<const ClfJsonConfig&>(base);
  auto sink = std::make_unique<ClfJsonTransport>(context.name, config);
  const ClfJsonConfig& own = sink->config();  // the transports below keep references into it
  if (own.output == Output::Http) {
    std::shared_ptr<TlsContext> tls;
    if (own.url.scheme == "https") {
      auto ctx = TlsContext::makeClient(own.tls);
      if (!ctx) return Error{"sink " + context.name + ": " + ctx.error().message};
      tls = std::move(*ctx);
      if (!own.tls.verify) {
        spdlog::warn("sink {}: tls.verify is false: the receiver's certificate is not checked", context.name);
      }
    } else {
      spdlog::warn("sink {}: {} is plain http: logs travel unencrypted (use https outside local tests)",
                   context.name, own.url.redacted());
    }
    sink->setOutput(std::make_unique<NdjsonHttpTransport>(context.loop, context.name, own, context.max_in_flight,
                                                          std::move(tls), sink->encoder()));
  } else {
    FileOutputOptions fo;
    fo.path = own.output == Output::File ? own.path : "";
    fo.fsync = own.fsync;
    auto out = std::make_unique<FileOutput>(context.loop, context.name, fo, sink->encoder());
    Status st = out->open();
    if (!st) return Error{"sink " + context.name + ": " + st.error().message};
    sink->setOutput(std::move(out));
  }
  return std::unique_ptr<SinkTransport>(std::move(sink));
}

}  // namespace

extern const PluginDescriptor kClfJsonSink = {
    .kind = PluginKind::Sink,
    .name = "clf_json",
    .aliases = {},
    .help = "access-log lines (Common, Combined, vhost_combined, + request time) as NDJSON: a file, stdout or HTTP POSTs",
    .options = kOptions,
    .validate = &validateClfJson,
    .createSink = &create,
};

}  // namespace sluice::plugins::clf_json
