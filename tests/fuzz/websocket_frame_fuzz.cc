// libFuzzer target: the WebSocket frame parser that reads what live-stream clients send. It must never crash,
// read out of bounds or hang; a frame it accepts consumes bytes that are there, respects the payload bound and the
// control-frame rules, and writing its payload again (unmasked, as the server does) takes no more room.
#include <string>
#include <string_view>

#include "agent/admin/websocket.h"
#include "tests/fuzz/fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in = sluice::fuzz::text(data, size);
  while (!in.empty()) {
    sluice::WebSocketFrame frame;
    size_t used = 0;
    const char* error = "";
    sluice::WsParse st = sluice::parseWebSocketFrame(in, &frame, &used, &error, 4096);
    if (st != sluice::WsParse::Ok) break;
    FUZZ_CHECK(used > 0 && used <= in.size());
    FUZZ_CHECK(frame.payload.size() <= 4096);
    FUZZ_CHECK(used >= frame.payload.size() + 6);  // two header bytes and the mask at least
    auto op = static_cast<uint8_t>(frame.opcode);
    if (op >= 0x8) FUZZ_CHECK(frame.fin && frame.payload.size() <= 125);
    std::string out;
    sluice::appendWebSocketFrame(out, frame.opcode, frame.payload);
    FUZZ_CHECK(out.size() <= used - 4);  // no longer than what came, without the mask
    in.remove_prefix(used);
  }
  return 0;
}
