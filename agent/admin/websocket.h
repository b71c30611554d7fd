#pragma once
// RFC 6455 pieces for the live log stream: the handshake's accept key and the frame codec. Pure functions (a
// fuzz target calls parseWebSocketFrame). The server sends unmasked frames; client frames must be masked.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace sluice {

enum class WsOpcode : uint8_t { Continuation = 0x0, Text = 0x1, Binary = 0x2, Close = 0x8, Ping = 0x9, Pong = 0xA };

// base64(SHA-1(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11")) (section 4.2.2).
std::string webSocketAccept(std::string_view key);

// Appends one unmasked, final frame.
void appendWebSocketFrame(std::string& out, WsOpcode opcode, std::string_view payload);
// A close frame's payload: the 2-byte status code and a reason.
std::string webSocketClosePayload(uint16_t code, std::string_view reason);

struct WebSocketFrame {
  bool fin = true;
  WsOpcode opcode = WsOpcode::Text;
  std::string payload;  // unmasked
};

enum class WsParse { Ok, NeedMore, Error };

// Parses the frame at the start of `in` (a client's: masked). `max_payload` bounds what a client may send.
WsParse parseWebSocketFrame(std::string_view in, WebSocketFrame* frame, size_t* consumed, const char** error,
                            size_t max_payload = 64 * 1024);

}  // namespace sluice
