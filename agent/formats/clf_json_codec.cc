#include "agent/formats/clf_json_codec.h"

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>

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
  if (f.has_vhost) {
    o.key("\"h\"");
    o.string(f.vhost);
  }
  o.key("\"ipS\"");
  o.string(f.client);
  if (f.ident != "-") {
    o.key("\"ident\"");
    o.string(f.ident);
  }
  if (f.user != "-") {
    o.key("\"user\"");
    o.string(f.user);
  }
  if (f.has_method) {
    o.key("\"vb\"");
    o.string(f.method);
  }
  if (f.has_path) {
    o.key("\"path\"");
    o.string(f.path);
  }
  if (f.has_proto) {
    o.key("\"proto\"");
    o.string(f.proto);
  }
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
  if (f.has_rtime) {
    o.key("\"rTime\"");
    o.string(f.rtime);
  }
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
  o.key("\"source\"");
  o.open();
  o.key("\"address\"");
  o.string(f.client);
  if (isIpLiteral(f.client)) {
    o.key("\"ip\"");
    o.string(f.client);
  } else if (f.client != "-") {
    o.key("\"domain\"");
    o.string(f.client);
  }
  o.close();
  if (f.user != "-") {
    o.key("\"user\"");
    o.open();
    o.key("\"name\"");
    o.string(f.user);
    o.close();
  }
  o.key("\"http\"");
  o.open();
  if (f.has_method || f.combined) {
    o.key("\"request\"");
    o.open();
    if (f.has_method) {
      o.key("\"method\"");
      o.string(f.method);
    }
    if (f.combined) {
      o.key("\"referrer\"");
      o.string(f.referer);
    }
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
  std::string_view domain;
  uint64_t port = 0;
  const bool clean_vhost = f.has_vhost && splitHostPort(f.vhost, &domain, &port);
  if (f.has_path || clean_vhost) {
    o.key("\"url\"");
    o.open();
    if (f.has_path) {
      o.key("\"original\"");
      o.string(f.path);
    }
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
  // What ECS has no field for, kept so that the line can be written back exactly.
  const bool other_proto = f.has_proto && !http_version;
  if (f.ident != "-" || f.has_rtime || f.bytes_dash || other_proto || (f.has_vhost && !clean_vhost) ||
      !f.time_text.empty()) {
    o.key("\"clf\"");
    o.open();
    if (!f.time_text.empty()) {
      o.key("\"time\"");
      o.string(f.time_text);
    }
    if (f.ident != "-") {
      o.key("\"ident\"");
      o.string(f.ident);
    }
    if (f.has_rtime) {
      o.key("\"request_time\"");
      o.string(f.rtime);
    }
    if (f.bytes_dash) {
      o.key("\"bytes_dash\"");
      o.boolean(true);
    }
    if (other_proto) {
      o.key("\"protocol\"");
      o.string(f.proto);
    }
    if (f.has_vhost && !clean_vhost) {
      o.key("\"vhost\"");
      o.string(f.vhost);
    }
    o.close();
  }
  o.close();
}

namespace {

using Value = rapidjson::Value;

const Value* member(const Value& obj, const char* name) {
  if (!obj.IsObject()) return nullptr;
  auto it = obj.FindMember(name);
  return it == obj.MemberEnd() ? nullptr : &it->value;
}

// obj.a.b.c
const Value* path(const Value& obj, std::initializer_list<const char*> names) {
  const Value* v = &obj;
  for (const char* n : names) {
    v = member(*v, n);
    if (v == nullptr) return nullptr;
  }
  return v;
}

bool text(const Value* v, std::string_view* out) {
  if (v == nullptr || !v->IsString()) return false;
  *out = std::string_view(v->GetString(), v->GetStringLength());
  return true;
}

// A number, or a string of digits (JSON written by other tools).
bool number(const Value* v, uint64_t* out) {
  if (v == nullptr) return false;
  if (v->IsUint64()) {
    *out = v->GetUint64();
    return true;
  }
  if (v->IsString() && v->GetStringLength() > 0 && v->GetStringLength() <= 19) {
    uint64_t n = 0;
    for (const char* p = v->GetString(); *p != '\0'; ++p) {
      if (*p < '0' || *p > '9') return false;
      n = n * 10 + static_cast<uint64_t>(*p - '0');
    }
    *out = n;
    return true;
  }
  return false;
}

bool truthy(const Value* v) { return v != nullptr && v->IsBool() && v->GetBool(); }

}  // namespace

bool jsonToClf(std::string_view json, std::string& out, std::string* why) {
  rapidjson::Document doc;
  // Iterative: the recursive reader's depth is the input's nesting, and "[[[[..." would overflow the stack.
  doc.Parse<rapidjson::kParseIterativeFlag>(json.data(), json.size());
  if (doc.HasParseError()) {
    *why = std::string("not JSON: ") + rapidjson::GetParseError_En(doc.GetParseError()) + " at offset " +
           std::to_string(doc.GetErrorOffset());
    return false;
  }
  if (!doc.IsObject()) {
    *why = "not a JSON object";
    return false;
  }
  std::string_view raw;
  if (text(member(doc, "raw"), &raw) || text(path(doc, {"event", "original"}), &raw)) {
    out.append(raw);  // a line that was not an access-log line goes back as it was
    return true;
  }
  AccessFields f;
  std::string_view t, tz;
  uint64_t status = 0;
  std::string vhost_buf, proto_buf;
  const bool ecs = member(doc, "@timestamp") != nullptr;
  if (ecs) {
    text(member(doc, "@timestamp"), &t);
    text(path(doc, {"event", "timezone"}), &tz);
    if (!text(path(doc, {"source", "address"}), &f.client)) text(path(doc, {"source", "ip"}), &f.client);
    text(path(doc, {"clf", "ident"}), &f.ident);
    text(path(doc, {"user", "name"}), &f.user);
    f.has_method = text(path(doc, {"http", "request", "method"}), &f.method);
    f.has_path = text(path(doc, {"url", "original"}), &f.path);
    std::string_view version;
    if (text(path(doc, {"http", "version"}), &version)) {
      proto_buf = "HTTP/" + std::string(version);
      f.proto = proto_buf;
      f.has_proto = true;
    } else {
      f.has_proto = text(path(doc, {"clf", "protocol"}), &f.proto);
    }
    number(path(doc, {"http", "response", "status_code"}), &status);
    if (!number(path(doc, {"http", "response", "body", "bytes"}), &f.bytes)) f.bytes = 0;
    f.bytes_dash = truthy(path(doc, {"clf", "bytes_dash"}));
    bool has_ref = text(path(doc, {"http", "request", "referrer"}), &f.referer);
    bool has_ua = text(path(doc, {"user_agent", "original"}), &f.user_agent);
    f.combined = has_ref || has_ua;
    if (f.combined && !has_ref) f.referer = "-";
    if (f.combined && !has_ua) f.user_agent = "-";
    f.has_rtime = text(path(doc, {"clf", "request_time"}), &f.rtime);
    text(path(doc, {"clf", "time"}), &f.time_text);
    std::string_view domain;
    uint64_t port = 0;
    if (text(path(doc, {"clf", "vhost"}), &f.vhost)) {
      f.has_vhost = true;
    } else if (text(path(doc, {"url", "domain"}), &domain)) {
      vhost_buf = std::string(domain);
      if (number(path(doc, {"url", "port"}), &port)) vhost_buf += ":" + std::to_string(port);
      f.vhost = vhost_buf;
      f.has_vhost = true;
    }
    if (!member(doc, "http") || !path(doc, {"http", "response", "status_code"})) {
      *why = "no http.response.status_code";
      return false;
    }
  } else {
    if (!text(member(doc, "t"), &t)) {
      *why = "no \"t\" (time)";
      return false;
    }
    text(member(doc, "tz"), &tz);
    text(member(doc, "ipS"), &f.client);
    text(member(doc, "ident"), &f.ident);
    text(member(doc, "user"), &f.user);
    f.has_vhost = text(member(doc, "h"), &f.vhost);
    f.has_method = text(member(doc, "vb"), &f.method);
    f.has_path = text(member(doc, "path"), &f.path);
    f.has_proto = text(member(doc, "proto"), &f.proto);
    if (!number(member(doc, "sC"), &status)) {
      *why = "no \"sC\" (status)";
      return false;
    }
    if (!number(member(doc, "bOut"), &f.bytes)) f.bytes = 0;
    f.bytes_dash = truthy(member(doc, "bOutDash"));
    bool has_ref = text(member(doc, "referer"), &f.referer);
    bool has_ua = text(member(doc, "ua"), &f.user_agent);
    f.combined = has_ref || has_ua;
    if (f.combined && !has_ref) f.referer = "-";
    if (f.combined && !has_ua) f.user_agent = "-";
    f.has_rtime = text(member(doc, "rTime"), &f.rtime);
    text(member(doc, "tClf"), &f.time_text);
  }
  if (f.client.empty()) f.client = "-";
  if (status > 999) {
    *why = "status " + std::to_string(status) + " is not a 3-digit HTTP status";
    return false;
  }
  f.status = static_cast<int>(status);
  Result<int64_t> when = parseTimestampMicros(t);
  if (!when) {
    *why = "time '" + std::string(t) + "': " + when.error().message;
    return false;
  }
  f.time_us = *when;
  f.tz_minutes = 0;
  if (!tz.empty() && !parseOffset(tz, &f.tz_minutes)) {
    *why = "time zone '" + std::string(tz) + "' is not +hhmm";
    return false;
  }
  if (!f.time_text.empty()) {
    // The line's own spelling wins, but only when it says the same instant as "t".
    int64_t us = 0;
    int tz_minutes = 0;
    if (!parseClfTime(f.time_text, &us, &tz_minutes) || us != f.time_us || tz_minutes != f.tz_minutes) {
      *why = "time '" + std::string(f.time_text) + "' is not the instant of \"t\"";
      return false;
    }
  }
  formatAccessLine(f, out);
  return true;
}

}  // namespace sluice
