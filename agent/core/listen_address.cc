#include "agent/core/listen_address.h"

#include <arpa/inet.h>

namespace sluice {

bool ListenAddress::loopback() const {
  if (host == "localhost") return true;
  in_addr v4{};
  if (inet_pton(AF_INET, host.c_str(), &v4) == 1) return (ntohl(v4.s_addr) >> 24) == 127;
  in6_addr v6{};
  if (inet_pton(AF_INET6, host.c_str(), &v6) == 1) return IN6_IS_ADDR_LOOPBACK(&v6);
  return false;
}

Result<ListenAddress> parseListenAddress(std::string_view text) {
  auto bad = [&](const std::string& why) {
    return Error{"'" + std::string(text) + "' is not HOST:PORT (" + why + ")"};
  };
  size_t colon = text.rfind(':');
  if (colon == std::string_view::npos) return bad("no port; e.g. 127.0.0.1:8089");
  std::string_view host = text.substr(0, colon);
  std::string_view port = text.substr(colon + 1);
  if (port.empty() || port.size() > 5 || port.find_first_not_of("0123456789") != std::string_view::npos) {
    return bad("the port must be a number from 0 to 65535");
  }
  unsigned value = 0;
  for (char c : port) value = value * 10 + static_cast<unsigned>(c - '0');
  if (value > 65535) return bad("the port must be a number from 0 to 65535");
  if (host.empty()) return bad("no host; write 0.0.0.0:" + std::string(port) + " to listen on every interface");
  ListenAddress out;
  out.port = static_cast<uint16_t>(value);
  if (host.front() == '[') {
    if (host.size() < 3 || host.back() != ']') return bad("an IPv6 address is written [addr]");
    out.host = std::string(host.substr(1, host.size() - 2));
    in6_addr v6{};
    if (inet_pton(AF_INET6, out.host.c_str(), &v6) != 1) return bad("'" + out.host + "' is not an IPv6 address");
    return out;
  }
  out.host = std::string(host);
  in_addr v4{};
  if (out.host != "localhost" && inet_pton(AF_INET, out.host.c_str(), &v4) != 1) {
    return bad("the host must be an IP address or localhost");
  }
  return out;
}

}  // namespace sluice
