#include "agent/core/url.h"

#include <arpa/inet.h>

#include <cctype>
#include <optional>

namespace sluice {
namespace {

uint16_t defaultPort(std::string_view scheme) {
  if (scheme == "https") return 443;
  if (scheme == "http") return 80;
  if (scheme == "tls") return 6514;
  if (scheme == "tcp" || scheme == "udp") return 514;
  return 0;
}

// User info is written back percent-encoded so that redacted() output parses again.
std::string percentEncodeUserInfo(std::string_view in) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (char c : in) {
    unsigned char u = static_cast<unsigned char>(c);
    if (std::isalnum(u) || c == '-' || c == '.' || c == '_' || c == '~' || c == '!' || c == '$' || c == '&' ||
        c == '\'' || c == '(' || c == ')' || c == '*' || c == '+' || c == ',' || c == ';' || c == '=') {
      out += c;
    } else {
      out += '%';
      out += kHex[u >> 4];
      out += kHex[u & 15];
    }
  }
  return out;
}

bool validHostName(std::string_view host) {
  for (char c : host) {
    unsigned char u = static_cast<unsigned char>(c);
    if (!(std::isalnum(u) || c == '-' || c == '.' || c == '_' || u >= 0x80)) return false;
  }
  return true;
}

int hexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

bool percentDecode(std::string_view in, std::string& out, PercentDecoding mode) {
  const bool form = mode == PercentDecoding::Form;
  out.clear();
  out.reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    const char c = in[i];
    if (c == '+' && form) {
      out += ' ';
      continue;
    }
    const int hi = c == '%' && i + 2 < in.size() ? hexValue(in[i + 1]) : -1;
    const int lo = hi >= 0 ? hexValue(in[i + 2]) : -1;
    if (lo >= 0) {
      out += static_cast<char>(hi * 16 + lo);
      i += 2;
    } else if (c == '%' && !form) {
      return false;
    } else {
      out += c;
    }
  }
  return true;
}

namespace {

Status parseScheme(std::string_view scheme, ParsedUrl& url) {
  for (size_t i = 0; i < scheme.size(); ++i) {
    unsigned char u = static_cast<unsigned char>(scheme[i]);
    bool ok = std::isalpha(u) || (i > 0 && (std::isdigit(u) || u == '+' || u == '-' || u == '.'));
    if (!ok) return makeError("URL has an invalid scheme");
    url.scheme += static_cast<char>(std::tolower(u));
  }
  return {};
}

Status parseUserInfo(std::string_view userinfo, ParsedUrl& url) {
  size_t colon = userinfo.find(':');
  if (!percentDecode(userinfo.substr(0, colon), url.user)) {
    return makeError("URL has a bad percent-encoding in its user name");
  }
  if (colon != std::string_view::npos) {
    url.has_password = true;
    if (!percentDecode(userinfo.substr(colon + 1), url.password)) {
      return makeError("URL has a bad percent-encoding in its password");
    }
  }
  return {};
}

// host, or [IPv6], then an optional :port; `port` is set (maybe empty) when a ':' introduces one.
Status splitAuthority(std::string_view authority, std::string_view& host, std::optional<std::string_view>& port) {
  if (!authority.empty() && authority.front() == '[') {
    size_t close = authority.find(']');
    if (close == std::string_view::npos) return makeError("URL has an unterminated IPv6 address ('[' without ']')");
    host = authority.substr(1, close - 1);
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return makeError("URL has unexpected text after the IPv6 address");
      port = after.substr(1);
    }
    in6_addr addr{};
    std::string h(host.substr(0, host.find('%')));  // a zone id ("%25eth0") is not part of the address
    if (inet_pton(AF_INET6, h.c_str(), &addr) != 1) return makeError("URL has an invalid IPv6 address");
    return {};
  }
  size_t colon = authority.find(':');
  if (colon != std::string_view::npos && authority.find(':', colon + 1) != std::string_view::npos) {
    return makeError("URL has an IPv6 address without brackets (write [addr]:port)");
  }
  host = authority.substr(0, colon);
  if (colon != std::string_view::npos) port = authority.substr(colon + 1);
  if (!validHostName(host)) return makeError("URL has an invalid character in its host");
  return {};
}

Result<uint16_t> parsePort(std::string_view port) {
  if (port.empty()) return makeError("URL has an empty port");
  uint32_t value = 0;
  for (char c : port) {
    if (c < '0' || c > '9') return makeError("URL port '" + std::string(port) + "' is not a number");
    value = value * 10 + static_cast<uint32_t>(c - '0');
    if (value > 65535) break;
  }
  if (value == 0 || value > 65535) return makeError("URL port '" + std::string(port) + "' is out of range (1-65535)");
  return static_cast<uint16_t>(value);
}

}  // namespace

Result<ParsedUrl> parseUrl(std::string_view text) {
  // The text is never echoed in errors: it may carry a token.
  if (text.empty()) return makeError("URL is empty");
  for (char c : text) {
    unsigned char u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7f) return makeError("URL contains a space or control character");
  }
  ParsedUrl url;
  size_t sep = text.find("://");
  if (sep == std::string_view::npos || sep == 0) {
    return makeError("URL has no scheme (expected scheme://host, e.g. https://logs.example.com/logs)");
  }
  if (Status st = parseScheme(text.substr(0, sep), url); !st) return st.takeError();
  std::string_view rest = text.substr(sep + 3);
  size_t auth_end = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, auth_end);
  std::string_view tail = auth_end == std::string_view::npos ? std::string_view{} : rest.substr(auth_end);

  // The last '@' ends the user info: a password may hold a raw '@' that the user forgot to encode.
  if (size_t at = authority.rfind('@'); at != std::string_view::npos) {
    if (Status st = parseUserInfo(authority.substr(0, at), url); !st) return st.takeError();
    authority = authority.substr(at + 1);
  }
  std::string_view host;
  std::optional<std::string_view> port;
  if (Status st = splitAuthority(authority, host, port); !st) return st.takeError();
  if (host.empty()) return makeError("URL has no host");
  url.host = std::string(host);
  if (port) {
    Result<uint16_t> number = parsePort(*port);
    if (!number) return number.takeError();
    url.port = *number;
    url.port_explicit = true;
  } else {
    url.port = defaultPort(url.scheme);
  }

  // A fragment never reaches the server.
  tail = tail.substr(0, tail.find('#'));
  if (tail.empty()) {
    url.target = "/";
  } else if (tail.front() == '?') {
    url.target = "/" + std::string(tail);
  } else {
    url.target = std::string(tail);
  }
  return url;
}

bool ParsedUrl::hostIsIpLiteral() const {
  in6_addr v6{};
  in_addr v4{};
  std::string h = host.substr(0, host.find('%'));
  return inet_pton(AF_INET, h.c_str(), &v4) == 1 || inet_pton(AF_INET6, h.c_str(), &v6) == 1;
}

std::string ParsedUrl::authority() const {
  std::string out = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  if (port_explicit && port != defaultPort(scheme)) out += ":" + std::to_string(port);
  return out;
}

std::string ParsedUrl::redacted() const {
  std::string out = scheme + "://";
  if (!user.empty() || has_password) {
    out += percentEncodeUserInfo(user);
    if (has_password) out += ":***";
    out += "@";
  }
  out += host.find(':') != std::string::npos ? "[" + host + "]" : host;
  if (port_explicit) out += ":" + std::to_string(port);
  out += target;
  return out;
}

}  // namespace sluice
