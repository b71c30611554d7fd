#pragma once
#include <cstdint>
#include <string>
#include <string_view>

#include "agent/core/result.h"

namespace sluice {

struct ParsedUrl {
  std::string scheme;    // lower case: "https", "http", "tcp", "tls", "udp"
  std::string user;      // percent-decoded user info
  std::string password;  // percent-decoded; may hold a token: never log it (use redacted())
  bool has_password = false;
  std::string host;      // without the brackets of an IPv6 literal
  uint16_t port = 0;     // explicit, else the scheme's default (https 443, http 80, tls 6514, tcp/udp 514)
  bool port_explicit = false;
  std::string target;    // path and query, "/" when empty

  bool hostIsIpLiteral() const;
  // "host", "host:port" or "[v6]:port", the port only when explicit and not the scheme's default (Host header).
  std::string authority() const;
  // The URL with the password replaced by "***" (safe for logs).
  std::string redacted() const;
};

// Parses an absolute URL: scheme://[user[:password]@]host[:port][/path][?query]. Rejects what cannot be used:
// no host, a bad port, spaces or control characters.
Result<ParsedUrl> parseUrl(std::string_view text);

enum class PercentDecoding {
  Strict,   // RFC 3986 (URL user info): a '%' not followed by two hex digits is an error
  Form,     // query strings: '+' is a space, a stray '%' stays as it is
};
// Decodes %XX escapes of `in` into `out`; false (Strict only) on a bad escape.
bool percentDecode(std::string_view in, std::string& out, PercentDecoding mode = PercentDecoding::Strict);

}  // namespace sluice
