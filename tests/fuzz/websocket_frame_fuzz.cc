// libFuzzer target: the WebSocket frame parser that reads what live-stream clients send.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "agent/admin/websocket.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  while (!in.empty()) {
    sluice::WebSocketFrame frame;
    size_t used = 0;
    const char* error = "";
    sluice::WsParse st = sluice::parseWebSocketFrame(in, &frame, &used, &error, 4096);
    if (st != sluice::WsParse::Ok) break;
    if (used == 0 || used > in.size() || frame.payload.size() > 4096) std::abort();
    in.remove_prefix(used);
  }
  return 0;
}
