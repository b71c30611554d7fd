#include "agent/admin/log_format.h"

#include "agent/formats/access_line.h"

#include "agent/formats/syslog_header.h"

namespace sluice {
namespace {

constexpr std::string_view kSeverities[] = {"emerg", "alert", "crit", "err", "warning", "notice", "info", "debug"};
constexpr std::string_view kFacilities[] = {"kern",   "user",   "mail",   "daemon", "auth",   "syslog",
                                            "lpr",    "news",   "uucp",   "cron",   "authpriv", "ftp",
                                            "ntp",    "audit",  "alert",  "clock",  "local0", "local1",
                                            "local2", "local3", "local4", "local5", "local6", "local7"};

// Length of the valid UTF-8 sequence at s[i], or 0 when it is not one.
size_t utf8Length(std::string_view s, size_t i) {
  auto b = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  unsigned char c = b(i);
  auto cont = [&](size_t k) { return k < s.size() && (b(k) & 0xC0) == 0x80; };
  if (c >= 0xC2 && c <= 0xDF) return cont(i + 1) ? 2 : 0;
  if (c >= 0xE0 && c <= 0xEF) {
    if (!cont(i + 1) || !cont(i + 2)) return 0;
    if (c == 0xE0 && b(i + 1) < 0xA0) return 0;   // overlong
    if (c == 0xED && b(i + 1) >= 0xA0) return 0;  // surrogates
    return 3;
  }
  if (c >= 0xF0 && c <= 0xF4) {
    if (!cont(i + 1) || !cont(i + 2) || !cont(i + 3)) return 0;
    if (c == 0xF0 && b(i + 1) < 0x90) return 0;
    if (c == 0xF4 && b(i + 1) >= 0x90) return 0;
    return 4;
  }
  return 0;
}

// Messages are shown one per line: a CR or LF inside a (logplex) message would break that.
void appendOneLine(std::string& out, std::string_view s) {
  size_t start = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\n' || s[i] == '\r') {
      out.append(s.substr(start, i - start));
      out.push_back(' ');
      start = i + 1;
    }
  }
  out.append(s.substr(start));
}

}  // namespace

std::optional<LogFormat> parseLogFormat(std::string_view name) {
  if (name == "text" || name.empty()) return LogFormat::Text;
  if (name == "raw") return LogFormat::Raw;
  if (name == "ndjson") return LogFormat::Ndjson;
  if (name == "json") return LogFormat::Json;
  if (name == "clf") return LogFormat::Clf;
  return std::nullopt;
}

std::string_view severityName(Severity severity) { return kSeverities[static_cast<int>(severity) & 7]; }

void appendJsonString(std::string& out, std::string_view s) {
  static const char kHex[] = "0123456789abcdef";
  out.push_back('"');
  size_t i = 0;
  while (i < s.size()) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
      size_t j = i + 1;
      while (j < s.size()) {
        auto d = static_cast<unsigned char>(s[j]);
        if (d < 0x20 || d >= 0x80 || d == '"' || d == '\\') break;
        ++j;
      }
      out.append(s.substr(i, j - i));
      i = j;
      continue;
    }
    if (c >= 0x80) {
      size_t n = utf8Length(s, i);
      if (n == 0) {
        out.append("\\ufffd");
        ++i;
      } else {
        out.append(s.substr(i, n));
        i += n;
      }
      continue;
    }
    switch (c) {
      case '"': out.append("\\\""); break;
      case '\\': out.append("\\\\"); break;
      case '\n': out.append("\\n"); break;
      case '\r': out.append("\\r"); break;
      case '\t': out.append("\\t"); break;
      default:
        out.append("\\u00");
        out.push_back(kHex[c >> 4]);
        out.push_back(kHex[c & 15]);
    }
    ++i;
  }
  out.push_back('"');
}

void LineFormatter::appendText(const LogLine& line, std::string& out) {
  char ts[TimestampFormatter::kLength];
  ts_.format(line.received_us, ts);
  out.append(ts, sizeof ts);
  out.append(" [");
  out.append(line.source);
  out.append("] ");
  std::string_view msg = line.message;
  if (line.preformatted) {
    SyslogHeader h;
    const char* err = nullptr;
    if (parseSyslogHeader(msg, &h, &err)) msg = h.msg;
  }
  appendOneLine(out, msg);
}

void LineFormatter::appendJson(const LogLine& line, std::string& out) {
  out.append("{\"received\":\"");
  char ts[TimestampFormatter::kLength];
  ts_.format(line.received_us, ts);
  out.append(ts, sizeof ts);
  out.append("\",\"source\":");
  appendJsonString(out, line.source);
  out.append(",\"type\":");
  appendJsonString(out, line.type);
  SyslogHeader h;
  const char* err = nullptr;
  if (line.preformatted && parseSyslogHeader(line.message, &h, &err)) {
    out.append(",\"time\":");
    appendJsonString(out, h.timestamp);
    out.append(",\"severity\":\"").append(kSeverities[h.pri & 7]).append("\"");
    out.append(",\"facility\":\"").append(kFacilities[(h.pri >> 3) % 24]).append("\"");
    out.append(",\"hostname\":");
    appendJsonString(out, h.hostname);
    out.append(",\"app_name\":");
    appendJsonString(out, h.app_name);
    out.append(",\"procid\":");
    appendJsonString(out, h.procid);
    out.append(",\"msgid\":");
    appendJsonString(out, h.msgid);
    out.append(",\"structured_data\":");
    appendJsonString(out, h.structured_data);
    out.append(",\"message\":");
    appendJsonString(out, h.msg);
  } else {
    out.append(",\"time\":\"");
    ts_.format(line.event_us != 0 ? line.event_us : line.received_us, ts);
    out.append(ts, sizeof ts);
    out.append("\",\"severity\":\"").append(severityName(line.severity)).append("\"");
    out.append(",\"hostname\":");
    appendJsonString(out, hostname_);
    out.append(",\"procid\":");
    appendJsonString(out, line.source);
    out.append(",\"message\":");
    appendJsonString(out, line.message);
  }
  out.push_back('}');
}

void LineFormatter::append(const LogLine& line, LogFormat format, std::string& out) {
  switch (format) {
    case LogFormat::Text:
      appendText(line, out);
      out.push_back('\n');
      return;
    case LogFormat::Raw: {
      std::string_view msg = line.message;
      SyslogHeader h;
      const char* err = nullptr;
      if (line.preformatted && parseSyslogHeader(msg, &h, &err)) msg = h.msg;
      appendOneLine(out, msg);
      out.push_back('\n');
      return;
    }
    case LogFormat::Ndjson:
      appendJson(line, out);
      out.push_back('\n');
      return;
    case LogFormat::Json:
      appendJson(line, out);
      return;
    case LogFormat::Clf: {
      // Access-log lines only, written back in their own format (for GoAccess and friends, as in
      // shared/seeds/000); other lines are left out.
      std::string_view msg = line.message;
      SyslogHeader h;
      const char* err = nullptr;
      if (line.preformatted && parseSyslogHeader(msg, &h, &err)) msg = h.msg;
      AccessFields f;
      if (!parseAccessLine(msg, &f)) return;
      formatAccessLine(f, out);
      out.push_back('\n');
      return;
    }
  }
}

}  // namespace sluice
