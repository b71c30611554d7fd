#include "agent/sink/file_output.h"
#include "agent/sink/transport.h"
#include "plugins/file/config.h"
#include "plugins/file/encoder.h"

namespace sluice::plugins::file {
namespace {

constexpr std::string_view kFileSinkHelp = "appends the frames, one per line, to a file (debugging, local archives)";
constexpr std::string_view kStdoutSinkHelp =
    "writes the frames, one per line, to standard output, exactly as a drain would receive them";

Result<std::unique_ptr<SinkTransport>> create(const PluginConfig& config, SinkContext& context) {
  auto t = std::make_unique<FileOutput>(context.loop, context.name, static_cast<const FileConfig&>(config).output,
                                        [](const Batch& batch, ByteBuffer& out) { encodeLines(batch.bytes.view(), out); });
  Status st = t->open();
  if (!st) return st.takeError();
  return std::unique_ptr<SinkTransport>(std::move(t));
}

}  // namespace

extern const PluginDescriptor kFileSink = sinkPlugin("file", kFileSinkHelp, kFileOptions, &validateFile, &create);

extern const PluginDescriptor kStdoutSink = sinkPlugin("stdout", kStdoutSinkHelp, {}, &validateStdout, &create);

}  // namespace sluice::plugins::file
