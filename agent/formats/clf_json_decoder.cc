// The JSON → CLF direction of the access-log codec (sluice convert --from json): RapidJSON's DOM, since the
// input is any tool's JSON and this is not a hot path.
#include <rapidjson/document.h>
#include <rapidjson/error/en.h>

#include <cstring>

#include "agent/formats/clf_json_codec.h"
#include "agent/formats/http_status_text.h"

namespace sluice {
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

// What a JSON record says of one access line, in either schema. The views point into the document or into the
// buffers here.
struct ParsedRecord {
  AccessFields f;
  std::string_view t, tz;
  uint64_t status = 0;
  std::string vhost_buf, proto_buf;
};

bool fromEcs(const Value& doc, ParsedRecord& p, std::string* why) {
  text(member(doc, "@timestamp"), &p.t);
  text(path(doc, {"event", "timezone"}), &p.tz);
  if (!text(path(doc, {"source", "address"}), &p.f.client)) text(path(doc, {"source", "ip"}), &p.f.client);
  text(path(doc, {"clf", "ident"}), &p.f.ident);
  text(path(doc, {"user", "name"}), &p.f.user);
  p.f.has_method = text(path(doc, {"http", "request", "method"}), &p.f.method);
  p.f.has_path = text(path(doc, {"url", "original"}), &p.f.path);
  std::string_view version;
  if (text(path(doc, {"http", "version"}), &version)) {
    p.proto_buf = "HTTP/" + std::string(version);
    p.f.proto = p.proto_buf;
    p.f.has_proto = true;
  } else {
    p.f.has_proto = text(path(doc, {"clf", "protocol"}), &p.f.proto);
  }
  number(path(doc, {"http", "response", "status_code"}), &p.status);
  if (!number(path(doc, {"http", "response", "body", "bytes"}), &p.f.bytes)) p.f.bytes = 0;
  p.f.bytes_dash = truthy(path(doc, {"clf", "bytes_dash"}));
  bool has_ref = text(path(doc, {"http", "request", "referrer"}), &p.f.referer);
  bool has_ua = text(path(doc, {"user_agent", "original"}), &p.f.user_agent);
  p.f.combined = has_ref || has_ua;
  if (p.f.combined && !has_ref) p.f.referer = "-";
  if (p.f.combined && !has_ua) p.f.user_agent = "-";
  p.f.has_rtime = text(path(doc, {"clf", "request_time"}), &p.f.rtime);
  text(path(doc, {"clf", "time"}), &p.f.time_text);
  std::string_view domain;
  uint64_t port = 0;
  if (text(path(doc, {"clf", "vhost"}), &p.f.vhost)) {
    p.f.has_vhost = true;
  } else if (text(path(doc, {"url", "domain"}), &domain)) {
    p.vhost_buf = std::string(domain);
    if (number(path(doc, {"url", "port"}), &port)) p.vhost_buf += ":" + std::to_string(port);
    p.f.vhost = p.vhost_buf;
    p.f.has_vhost = true;
  }
  if (!member(doc, "http") || !path(doc, {"http", "response", "status_code"})) {
    *why = "no http.response.status_code";
    return false;
  }
  return true;
}

bool fromCompact(const Value& doc, ParsedRecord& p, std::string* why) {
  if (!text(member(doc, "t"), &p.t)) {
    *why = "no \"t\" (time)";
    return false;
  }
  text(member(doc, "tz"), &p.tz);
  text(member(doc, "ipS"), &p.f.client);
  text(member(doc, "ident"), &p.f.ident);
  text(member(doc, "user"), &p.f.user);
  p.f.has_vhost = text(member(doc, "h"), &p.f.vhost);
  p.f.has_method = text(member(doc, "vb"), &p.f.method);
  p.f.has_path = text(member(doc, "path"), &p.f.path);
  p.f.has_proto = text(member(doc, "proto"), &p.f.proto);
  if (!number(member(doc, "sC"), &p.status)) {
    *why = "no \"sC\" (status)";
    return false;
  }
  if (!number(member(doc, "bOut"), &p.f.bytes)) p.f.bytes = 0;
  p.f.bytes_dash = truthy(member(doc, "bOutDash"));
  bool has_ref = text(member(doc, "referer"), &p.f.referer);
  bool has_ua = text(member(doc, "ua"), &p.f.user_agent);
  p.f.combined = has_ref || has_ua;
  if (p.f.combined && !has_ref) p.f.referer = "-";
  if (p.f.combined && !has_ua) p.f.user_agent = "-";
  p.f.has_rtime = text(member(doc, "rTime"), &p.f.rtime);
  text(member(doc, "tClf"), &p.f.time_text);
  return true;
}

// The checks both schemas share, then the line.
bool writeLine(ParsedRecord& p, std::string& out, std::string* why) {
  if (p.f.client.empty()) p.f.client = "-";
  if (p.status > 999) {
    *why = "status " + std::to_string(p.status) + " is not a 3-digit HTTP status";
    return false;
  }
  p.f.status = static_cast<int>(p.status);
  Result<int64_t> when = parseTimestampMicros(p.t);
  if (!when) {
    *why = "time '" + std::string(p.t) + "': " + when.error().message;
    return false;
  }
  p.f.time_us = *when;
  p.f.tz_minutes = 0;
  if (!p.tz.empty() && !parseOffset(p.tz, &p.f.tz_minutes)) {
    *why = "time zone '" + std::string(p.tz) + "' is not +hhmm";
    return false;
  }
  if (!p.f.time_text.empty()) {
    // The line's own spelling wins, but only when it says the same instant as "t".
    int64_t us = 0;
    int tz_minutes = 0;
    if (!parseClfTime(p.f.time_text, &us, &tz_minutes) || us != p.f.time_us || tz_minutes != p.f.tz_minutes) {
      *why = "time '" + std::string(p.f.time_text) + "' is not the instant of \"t\"";
      return false;
    }
  }
  formatAccessLine(p.f, out);
  return true;
}

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
  ParsedRecord p;
  const bool ecs = member(doc, "@timestamp") != nullptr;
  if (!(ecs ? fromEcs(doc, p, why) : fromCompact(doc, p, why))) return false;
  return writeLine(p, out, why);
}

}  // namespace sluice
