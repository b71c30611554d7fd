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

// `,"key":` and `value` as a JSON string.
void appendJsonField(std::string& out, std::string_view key, std::string_view value) {
  out.append(",\"").append(key).append("\":");
  appendJsonString(out, value);
}

// A preformatted line's RFC 5424 fields after its severity and facility, as NDJSON keys in the order written.
struct HeaderField {
  std::string_view key;
  std::string_view SyslogHeader::*value;
};
constexpr HeaderField kHeaderFields[] = {
    {"hostname", &SyslogHeader::hostname}, {"app_name", &SyslogHeader::app_name},
    {"procid", &SyslogHeader::procid},     {"msgid", &SyslogHeader::msgid},
    {"structured_data", &SyslogHeader::structured_data}, {"message", &SyslogHeader::msg},
};

// The message without its RFC 5424 header when the line is preformatted.
std::string_view messageText(const LogLine& line) {
  SyslogHeader h;
  const char* err = nullptr;
  if (line.preformatted && parseSyslogHeader(line.message, &h, &err)) return h.msg;
  return line.message;
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
  out.push_back('"');
  appendJsonField(out, "source", line.source);
  appendJsonField(out, "type", line.type);
  if (!line.instance.empty()) appendJsonField(out, "file", line.instance);
  SyslogHeader h;
  const char* err = nullptr;
  if (line.preformatted && parseSyslogHeader(line.message, &h, &err)) {
    appendJsonField(out, "time", h.timestamp);
    out.append(",\"severity\":\"").append(kSeverityKeywords[h.pri & 7]).append("\"");
    out.append(",\"facility\":\"").append(kFacilities[(h.pri >> 3) % 24]).append("\"");
    for (const HeaderField& f : kHeaderFields) appendJsonField(out, f.key, h.*f.value);
  } else {
    out.append(",\"time\":\"");
    ts_.format(line.event_us != 0 ? line.event_us : line.received_us, ts);
    out.append(ts, sizeof ts);
    out.append("\",\"severity\":\"").append(severityName(line.severity)).append("\"");
    appendJsonField(out, "hostname", hostname_);
    // What the frames' PROCID is by default (message.procid: "{source}").
    appendJsonField(out, "procid", line.instance.empty() ? line.source : line.instance);
    appendJsonField(out, "message", line.message);
  }
  out.push_back('}');
}

void LineFormatter::append(const LogLine& line, LogFormat format, std::string& out) {
  switch (format) {
    case LogFormat::Text:
      appendText(line, out);
      out.push_back('\n');
      return;
    case LogFormat::Raw:
      appendOneLine(out, messageText(line));
      out.push_back('\n');
      return;
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
      AccessFields f;
      if (!parseAccessLine(messageText(line), &f)) return;
      formatAccessLine(f, out);
      out.push_back('\n');
      return;
    }
  }
}

}  // namespace sluice
