#include <catch2/catch.hpp>

#include "agent/admin/websocket.h"

using namespace sluice;

namespace {
std::string masked(WsOpcode op, const std::string& payload, bool fin = true) {
  std::string f;
  f.push_back(static_cast<char>((fin ? 0x80 : 0) | static_cast<uint8_t>(op)));
  const uint8_t mask[4] = {0x37, 0xfa, 0x21, 0x3d};
  if (payload.size() < 126) {
    f.push_back(static_cast<char>(0x80 | payload.size()));
  } else {
    f.push_back(static_cast<char>(0x80 | 126));
    f.push_back(static_cast<char>(payload.size() >> 8));
    f.push_back(static_cast<char>(payload.size() & 0xff));
  }
  f.append(reinterpret_cast<const char*>(mask), 4);
  for (size_t i = 0; i < payload.size(); ++i) f.push_back(static_cast<char>(payload[i] ^ mask[i & 3]));
  return f;
}
}  // namespace

TEST_CASE("the handshake's accept key is RFC 6455's example", "[websocket]") {
  CHECK(webSocketAccept("dGhlIHNhbXBsZSBub25jZQ==") == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
}

TEST_CASE("server frames are unmasked with 7, 16 and 64-bit lengths", "[websocket]") {
  std::string out;
  appendWebSocketFrame(out, WsOpcode::Text, "Hello");
  CHECK(out == std::string("\x81\x05Hello", 7));
  out.clear();
  appendWebSocketFrame(out, WsOpcode::Text, std::string(300, 'x'));
  CHECK(out.substr(0, 4) == std::string("\x81\x7e\x01\x2c", 4));
  out.clear();
  appendWebSocketFrame(out, WsOpcode::Binary, std::string(70000, 'x'));
  CHECK(out.substr(0, 10) == std::string("\x82\x7f\x00\x00\x00\x00\x00\x01\x11\x70", 10));
  CHECK(webSocketClosePayload(1001, "bye") == std::string("\x03\xe9" "bye", 5));
}

TEST_CASE("client frames are unmasked, and bad ones are refused", "[websocket]") {
  WebSocketFrame f;
  size_t used = 0;
  const char* err = "";
  // RFC 6455 section 5.7: a masked "Hello".
  std::string hello("\x81\x85\x37\xfa\x21\x3d\x7f\x9f\x4d\x51\x58", 11);
  REQUIRE(parseWebSocketFrame(hello, &f, &used, &err) == WsParse::Ok);
  CHECK(f.opcode == WsOpcode::Text);
  CHECK(f.payload == "Hello");
  CHECK(used == 11);
  CHECK(parseWebSocketFrame(hello.substr(0, 7), &f, &used, &err) == WsParse::NeedMore);
  std::string long_ping = masked(WsOpcode::Text, std::string(300, 'p'));
  REQUIRE(parseWebSocketFrame(long_ping, &f, &used, &err) == WsParse::Ok);
  CHECK(f.payload == std::string(300, 'p'));
  CHECK(parseWebSocketFrame(std::string("\x81\x05Hello", 7), &f, &used, &err) == WsParse::Error);
  CHECK(std::string(err) == "client frames must be masked");
  CHECK(parseWebSocketFrame(masked(WsOpcode::Ping, std::string(126, 'x')), &f, &used, &err) == WsParse::Error);
  CHECK(parseWebSocketFrame(masked(WsOpcode::Ping, "x", false), &f, &used, &err) == WsParse::Error);
  CHECK(parseWebSocketFrame(std::string("\x83\x80\0\0\0\0", 6), &f, &used, &err) == WsParse::Error);
  CHECK(parseWebSocketFrame(std::string("\xc1\x80\0\0\0\0", 6), &f, &used, &err) == WsParse::Error);
  CHECK(parseWebSocketFrame(masked(WsOpcode::Text, std::string(1000, 'x')), &f, &used, &err, 100) == WsParse::Error);
}
