#include "agent/sink/file_output.h"
#include "agent/sink/transport.h"
#include "plugins/file/config.h"
#include "plugins/file/encoder.h"

namespace sluice::plugins::file {
namespace {

Result<std::unique_ptr<SinkTransport>> create(const PluginConfig& config, SinkContext& context) {
  auto t = std::make_unique<FileOutput>(context.loop, context.name, static_cast<const FileConfig&>(config).output,
                                        [](const Batch& batch, ByteBuffer& out) { encodeLines(batch.bytes.view(), out); });
  Status st = t->open();
  if (!st) return st.takeError();
  return std::unique_ptr<SinkTransport>(std::move(t));
}

}  // namespace

extern const PluginDescriptor kFileSink = {
    .kind = PluginKind::Sink,
    .name = "file",
    .aliases = {},
    .help = "appends the frames, one per line, to a file (debugging, local archives)",
    .options = kFileOptions,
    .validate = &validateFile,
    .createSink = &create,
};

extern const PluginDescriptor kStdoutSink = {
    .kind = PluginKind::Sink,
    .name = "stdout",
    .aliases = {},
    .help = "writes the frames, one per line, to standard output, exactly as a drain would receive them",
    .options = {},
    .validate = &validateStdout,
    .createSink = &create,
};

}  // namespace sluice::plugins::file
