#include "agent/formats/clf_json_codec.h"

#include <cstring>

#include "agent/formats/json_out.h"
#include "agent/formats/http_status_text.h"

namespace sluice {
namespace {

// The offset as ECS wants it ("-07:00").
std::string ecsOffset(int tz) {
  std::string s;
  formatOffset(tz, true, s);
  return s;
}

bool isIpLiteral(std::string_view s) {
  if (s.empty()) return false;
  bool colon = s.find(':') != std::string_view::npos;
  if (colon) {
    for (char c : s) {
      if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || c == ':' || c == '.')) {
        return false;
      }
    }
    return true;
  }
  int dots = 0, digits = 0, value = 0;
  for (char c : s) {
    if (c == '.') {
      if (digits == 0) return false;
      ++dots;
      digits = value = 0;
    } else if (c >= '0' && c <= '9') {
      value = value * 10 + (c - '0');
      if (++digits > 3 || value > 255) return false;
    } else {
      return false;
    }
  }
  return dots == 3 && digits > 0;
}

// "example.com:8080" -> domain and port, when writing them back gives the same text.
bool splitHostPort(std::string_view vhost, std::string_view* domain, uint64_t* port) {
  size_t colon = vhost.rfind(':');
  if (colon == std::string_view::npos) {
    *domain = vhost;
    *port = 0;
    return !vhost.empty();
  }
  std::string_view p = vhost.substr(colon + 1);
  if (colon == 0 || vhost.substr(0, colon).find(':') != std::string_view::npos || p.empty() || p.size() > 5 ||
      p[0] == '0') {
    return false;
  }
  uint64_t v = 0;
  for (char c : p) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  if (v > 65535) return false;
  *domain = vhost.substr(0, colon);
  *port = v;
  return true;
}

// The request time in nanoseconds: an integer is microseconds (Apache %D), a decimal is seconds (nginx).
bool durationNanos(std::string_view s, int64_t* ns) {
  if (s.empty() || s.size() > 18) return false;
  int64_t whole = 0, frac = 0, scale = 1;
  bool dot = false;
  for (char c : s) {
    if (c == '.') {
      if (dot) return false;
      dot = true;
    } else if (c >= '0' && c <= '9') {
      if (!dot) {
        whole = whole * 10 + (c - '0');
      } else if (scale < 1000000000) {
        frac = frac * 10 + (c - '0');
        scale *= 10;
      }
    } else {
      return false;
    }
  }
  if (s.front() == '.' || s.back() == '.') return false;
  // 18 digits fit, but not once scaled: a request time beyond 292 years is no duration (the text stays as written).
  if (whole > (dot ? INT64_MAX / 1000000000 - 1 : INT64_MAX / 1000)) return false;
  *ns = dot ? whole * 1000000000 + frac * (1000000000 / scale) : whole * 1000;
  return true;
}

// The ECS objects of one access line, in the order ecs() writes them.
void ecsClient(const AccessFields& f, JsonOut& o) {
  o.key("\"source\"");
  o.open();
  o.key("\"address\"");
  o.string(f.client);
  if (isIpLiteral(f.client)) {
    o.key("\"ip\"");
    o.string(f.client);
  } else {
    o.stringIf(f.client != "-", "\"domain\"", f.client);
  }
  o.close();
  if (f.user != "-") {
    o.key("\"user\"");
    o.open();
    o.key("\"name\"");
    o.string(f.user);
    o.close();
  }
}

void ecsHttp(const AccessFields& f, JsonOut& o) {
  o.key("\"http\"");
  o.open();
  if (f.has_method || f.combined) {
    o.key("\"request\"");
    o.open();
    o.stringIf(f.has_method, "\"method\"", f.method);
    o.stringIf(f.combined, "\"referrer\"", f.referer);
    o.close();
  }
  const bool http_version = f.has_proto && f.proto.starts_with("HTTP/");
  if (http_version) {
    o.key("\"version\"");
    o.string(f.proto.substr(5));
  }
  o.key("\"response\"");
  o.open();
  o.key("\"status_code\"");
  o.number(static_cast<int64_t>(f.status));
  o.key("\"body\"");
  o.open();
  o.key("\"bytes\"");
  o.number(f.bytes);
  o.close();
  o.close();
  o.close();  // http
}

// url and user_agent; whether the vhost was written as url.domain and url.port (else it is kept under clf).
bool ecsUrl(const AccessFields& f, JsonOut& o) {
  std::string_view domain;
  uint64_t port = 0;
  const bool clean_vhost = f.has_vhost && splitHostPort(f.vhost, &domain, &port);
  if (f.has_path || clean_vhost) {
    o.key("\"url\"");
    o.open();
    o.stringIf(f.has_path, "\"original\"", f.path);
    if (clean_vhost) {
      o.key("\"domain\"");
      o.string(domain);
      if (port != 0) {
        o.key("\"port\"");
        o.number(port);
      }
    }
    o.close();
  }
  if (f.combined) {
    o.key("\"user_agent\"");
    o.open();
    o.key("\"original\"");
    o.string(f.user_agent);
    o.close();
  }
  return clean_vhost;
}

void ecsEvent(const AccessFields& f, JsonOut& o) {
  o.key("\"event\"");
  o.open();
  std::string tz = ecsOffset(f.tz_minutes);
  o.key("\"timezone\"");
  o.plain(tz);
  int64_t ns = 0;
  if (f.has_rtime && durationNanos(f.rtime, &ns)) {
    o.key("\"duration\"");
    o.number(ns);
  }
  o.close();
}

void ecsClfExtras(const AccessFields& f, JsonOut& o, bool clean_vhost) {
  const bool http_version = f.has_proto && f.proto.starts_with("HTTP/");
  // What ECS has no field for, kept so that the line can be written back exactly.
  const bool other_proto = f.has_proto && !http_version;
  if (f.ident != "-" || f.has_rtime || f.bytes_dash || other_proto || (f.has_vhost && !clean_vhost) ||
      !f.time_text.empty()) {
    o.key("\"clf\"");
    o.open();
    o.stringIf(!f.time_text.empty(), "\"time\"", f.time_text);
    o.stringIf(f.ident != "-", "\"ident\"", f.ident);
    o.stringIf(f.has_rtime, "\"request_time\"", f.rtime);
    if (f.bytes_dash) {
      o.key("\"bytes_dash\"");
      o.boolean(true);
    }
    o.stringIf(other_proto, "\"protocol\"", f.proto);
    o.stringIf(f.has_vhost && !clean_vhost, "\"vhost\"", f.vhost);
    o.close();
  }
}

}  // namespace

void JsonEncoder::formatTime(int64_t us) {
  if (us == last_time_us_) return;
  timestamps_.format(us, last_time_);
  last_time_us_ = us;
}

void JsonEncoder::encodeRaw(std::string_view line, ByteBuffer& out) {
  JsonOut o(out);
  o.open();
  if (schema_ == Schema::Ecs) {
    o.key("\"event\"");
    o.open();
    o.key("\"original\"");
    o.string(line);
    o.close();
  } else {
    o.key("\"raw\"");
    o.string(line);
  }
  o.close();
}

void JsonEncoder::encode(const AccessFields& f, ByteBuffer& out) {
  JsonOut o(out);
  if (schema_ == Schema::Ecs) {
    ecs(f, o);
  } else {
    compact(f, o);
  }
}

void JsonEncoder::compact(const AccessFields& f, JsonOut& o) {
  formatTime(f.time_us);
  o.open();
  o.key("\"t\"");
  o.plain(std::string_view(last_time_, TimestampFormatter::kLength));
  o.stringIf(f.has_vhost, "\"h\"", f.vhost);
  o.key("\"ipS\"");
  o.string(f.client);
  o.stringIf(f.ident != "-", "\"ident\"", f.ident);
  o.stringIf(f.user != "-", "\"user\"", f.user);
  o.stringIf(f.has_method, "\"vb\"", f.method);
  o.stringIf(f.has_path, "\"path\"", f.path);
  o.stringIf(f.has_proto, "\"proto\"", f.proto);
  o.key("\"sC\"");
  o.number(static_cast<int64_t>(f.status));
  o.key("\"sT\"");
  o.plain(statusText(f.status));
  o.key("\"bOut\"");
  o.number(f.bytes);
  if (f.bytes_dash) {
    o.key("\"bOutDash\"");
    o.boolean(true);
  }
  if (f.combined) {
    o.key("\"referer\"");
    o.string(f.referer);
    o.key("\"ua\"");
    o.string(f.user_agent);
  }
  o.stringIf(f.has_rtime, "\"rTime\"", f.rtime);
  o.key("\"tz\"");
  std::string tz;  // 5 bytes: no allocation
  formatOffset(f.tz_minutes, false, tz);
  o.plain(tz);
  if (!f.time_text.empty()) {
    // "t" is always microseconds in UTC; the line's own spelling of its time, kept for the way back.
    o.key("\"tClf\"");
    o.string(f.time_text);
  }
  o.close();
}

void JsonEncoder::ecs(const AccessFields& f, JsonOut& o) {
  formatTime(f.time_us);
  o.open();
  o.key("\"@timestamp\"");
  o.plain(std::string_view(last_time_, TimestampFormatter::kLength));
  ecsClient(f, o);
  ecsHttp(f, o);
  const bool clean_vhost = ecsUrl(f, o);
  ecsEvent(f, o);
  ecsClfExtras(f, o, clean_vhost);
  o.close();
}

}  // namespace sluice
