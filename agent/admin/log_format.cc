#include "agent/admin/log_format.h"

#include "agent/formats/access_line.h"
#include "agent/formats/json_escape.h"
#include "agent/formats/syslog_header.h"

namespace sluice {
namespace {

constexpr std::string_view kFacilities[] = {"kern",   "user",   "mail",   "daemon", "auth",   "syslog",
                                            "lpr",    "news",   "uucp",   "cron",   "authpriv", "ftp",
                                            "ntp",    "audit",  "alert",  "clock",  "local0", "local1",
                                            "local2", "local3", "local4", "local5", "local6", "local7"};

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

std::string_view severityName(Severity severity) { return kSeverityKeywords[static_cast<int>(severity) & 7]; }

void appendJsonString(std::string& out, std::string_view s) {
  const size_t at = out.size();
  out.resize(at + maxJsonStringLength(s));
  out.resize(at + writeJsonString(s, out.data() + at, InvalidUtf8::Replacement));
}

void LineFormatter::appendText(const LogLine& line, std::string& out) {
  char ts[TimestampFormatter::kLength];
  ts_.format(line.received_us, ts);
  out.append(ts, sizeof ts);
  out.append(" [");
  out.append(line.source);
  if (!line.instance.empty()) out.append(" ").append(line.instance);
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
  if (!line.instance.empty()) {
    out.append(",\"file\":");
    appendJsonString(out, line.instance);
  }
  SyslogHeader h;
  const char* err = nullptr;
  if (line.preformatted && parseSyslogHeader(line.message, &h, &err)) {
    out.append(",\"time\":");
    appendJsonString(out, h.timestamp);
    out.append(",\"severity\":\"").append(kSeverityKeywords[h.pri & 7]).append("\"");
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
    // What the frames' PROCID is by default (message.procid: "{source}").
    out.append(",\"procid\":");
    appendJsonString(out, line.instance.empty() ? line.source : line.instance);
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
