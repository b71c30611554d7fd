#pragma once
// HOST:PORT of a listening socket (api.listen, the logplex input's listen). The host is an IP literal ("[::1]"
// for IPv6) or "localhost"; no name is resolved, so a config cannot listen somewhere a DNS answer decides.
#include <cstdint>
#include <string>
#include <string_view>

#include "agent/core/result.h"

namespace sluice {

struct ListenAddress {
  std::string host;   // as written, without the brackets of an IPv6 literal; "localhost" stays "localhost"
  uint16_t port = 0;  // 0: any free port (the kernel picks; tests use it)

  // 127.0.0.0/8, ::1 and localhost: reachable only from this machine.
  bool loopback() const;
  // The address to bind: "localhost" as 127.0.0.1.
  std::string bindHost() const { return host == "localhost" ? "127.0.0.1" : host; }
};

// Digits only for the port (0 to 65535), a host always: ":8089" (every interface, by accident) is an error that
// says to write 0.0.0.0:8089 when that is meant.
Result<ListenAddress> parseListenAddress(std::string_view text);

}  // namespace sluice
