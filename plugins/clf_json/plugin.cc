#include "agent/sink/file_output.h"
#include "agent/sink/http_output.h"
#include "agent/sink/transport.h"
#include "plugins/clf_json/config.h"
#include "plugins/clf_json/transport.h"

namespace sluice::plugins::clf_json {
namespace {

constexpr std::string_view kHelp =
    "access-log lines (Common, Combined, vhost_combined, + request time) as NDJSON: a file, stdout or HTTP POSTs";

Result<std::unique_ptr<SinkTransport>> create(const PluginConfig& base, SinkContext& context) {
  const auto& config = static_cast<const ClfJsonConfig&>(base);
  auto sink = std::make_unique<ClfJsonTransport>(context.name, config);
  const ClfJsonConfig& own = sink->config();
  if (own.output == Output::Http) {
    auto out = HttpOutput::create(context.loop, context.name, own.http, context.max_in_flight,
                                  ndjsonPayload(sink->encoder()));
    if (!out) return out.takeError();
    sink->setOutput(std::move(*out));
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

extern const PluginDescriptor kClfJsonSink = sinkPlugin("clf_json", kHelp, kOptions, &validateClfJson, &create);

}  // namespace sluice::plugins::clf_json
