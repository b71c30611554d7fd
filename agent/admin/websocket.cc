#include "agent/admin/websocket.h"

#include <openssl/sha.h>

#include "agent/net/http_wire.h"

namespace sluice {

std::string webSocketAccept(std::string_view key) {
  std::string input(key);
  input += "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
  unsigned char digest[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const unsigned char*>(input.data()), input.size(), digest);
  return base64Encode(std::string_view(reinterpret_cast<const char*>(digest), sizeof digest));
}

void appendWebSocketFrame(std::string& out, WsOpcode opcode, std::string_view payload) {
  out.push_back(static_cast<char>(0x80 | static_cast<uint8_t>(opcode)));
  const uint64_t n = payload.size();
  if (n < 126) {
    out.push_back(static_cast<char>(n));
  } else if (n <= 0xFFFF) {
    out.push_back(static_cast<char>(126));
    out.push_back(static_cast<char>(n >> 8));
    out.push_back(static_cast<char>(n & 0xFF));
  } else {
    out.push_back(static_cast<char>(127));
    for (int i = 7; i >= 0; --i) out.push_back(static_cast<char>((n >> (8 * i)) & 0xFF));
  }
  out.append(payload);
}

std::string webSocketClosePayload(uint16_t code, std::string_view reason) {
  std::string p;
  p.push_back(static_cast<char>(code >> 8));
  p.push_back(static_cast<char>(code & 0xFF));
  p.append(reason.substr(0, 120));
  return p;
}

WsParse parseWebSocketFrame(std::string_view in, WebSocketFrame* frame, size_t* consumed, const char** error,
                            size_t max_payload) {
  if (in.size() < 2) return WsParse::NeedMore;
  auto b = [&](size_t i) { return static_cast<uint8_t>(in[i]); };
  const uint8_t b0 = b(0), b1 = b(1);
  if ((b0 & 0x70) != 0) {
    *error = "reserved bits set (no extension was negotiated)";
    return WsParse::Error;
  }
  const uint8_t op = b0 & 0x0F;
  const bool control = (op & 0x08) != 0;
  if (!(op <= 0x2 || (op >= 0x8 && op <= 0xA))) {
    *error = "unknown opcode";
    return WsParse::Error;
  }
  if ((b1 & 0x80) == 0) {
    *error = "client frames must be masked";
    return WsParse::Error;
  }
  uint64_t len = b1 & 0x7F;
  size_t pos = 2;
  if (len == 126) {
    if (in.size() < 4) return WsParse::NeedMore;
    len = (uint64_t{b(2)} << 8) | b(3);
    pos = 4;
  } else if (len == 127) {
    if (in.size() < 10) return WsParse::NeedMore;
    len = 0;
    for (size_t i = 2; i < 10; ++i) len = (len << 8) | b(i);
    pos = 10;
  }
  if (control && (len > 125 || (b0 & 0x80) == 0)) {
    *error = "control frames must be final and at most 125 bytes";
    return WsParse::Error;
  }
  if (len > max_payload) {
    *error = "frame too large";
    return WsParse::Error;
  }
  if (in.size() < pos + 4 + len) return WsParse::NeedMore;
  const uint8_t* mask = reinterpret_cast<const uint8_t*>(in.data() + pos);
  pos += 4;
  frame->fin = (b0 & 0x80) != 0;
  frame->opcode = static_cast<WsOpcode>(op);
  frame->payload.assign(in.data() + pos, static_cast<size_t>(len));
  for (size_t i = 0; i < frame->payload.size(); ++i) frame->payload[i] = static_cast<char>(frame->payload[i] ^ mask[i & 3]);
  *consumed = pos + static_cast<size_t>(len);
  return WsParse::Ok;
}

}  // namespace sluice
