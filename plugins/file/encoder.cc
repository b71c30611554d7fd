#include "plugins/file/encoder.h"

#include "agent/formats/frame.h"

namespace sluice::plugins::file {

void encodeLines(std::string_view frames, ByteBuffer& out) {
  out.clear();
  out.reserve(frames.size() + frames.size() / 64 + 16);
  while (!frames.empty()) {
    std::string_view msg;
    size_t used = 0;
    const char* err = nullptr;
    if (parseFrame(frames, &msg, &used, &err) != FrameStatus::Ok) {
      out.append(frames);  // not ours to fix: batches are built by the core and always frame-aligned
      out.push('\n');
      return;
    }
    out.append(frames.data(), used);
    out.push('\n');
    frames.remove_prefix(used);
  }
}

}  // namespace sluice::plugins::file
