#pragma once
// How GET /logs writes lines: `text` ("TIMESTAMP [SOURCE] MESSAGE", shared/seeds/001; "[SOURCE FILE]" for a line
// with an instance, a tail source's file: "[nginx access.log]"), `raw` (the message alone), `ndjson` (one JSON
// object per line: received, time, source, type, file (when there is an instance), message and the RFC 5424
// fields, shared/seeds/004), `json` (the same objects as one array) and `clf` (access-log lines only, in their own
// Common/Combined format, shared/seeds/000). Pure functions.
#include <optional>
#include <string>
#include <string_view>

#include "agent/admin/log_line.h"
#include "agent/core/clock.h"

namespace sluice {

enum class LogFormat { Text, Raw, Ndjson, Json, Clf };

std::optional<LogFormat> parseLogFormat(std::string_view name);

// Appends `s` as a JSON string (quotes included). Invalid UTF-8 becomes U+FFFD: the output is always valid JSON.
void appendJsonString(std::string& out, std::string_view s);

std::string_view severityName(Severity severity);

class LineFormatter {
 public:
  // `hostname` stands in for the HOSTNAME of lines Sluice read itself (their sinks may say otherwise).
  explicit LineFormatter(std::string hostname) : hostname_(std::move(hostname)) {}

  // Appends one line (with its newline) in `format` (Text, Raw, Ndjson or Clf, which writes nothing for a line
  // that is not an access-log line; Json writes an Ndjson object without the newline: the caller adds the commas
  // and brackets).
  void append(const LogLine& line, LogFormat format, std::string& out);
  // "TIMESTAMP [SOURCE] MESSAGE" ("[SOURCE FILE]" with an instance) without a newline: the `log` of a live-stream event.
  void appendText(const LogLine& line, std::string& out);
  std::string timestamp(int64_t micros) { return ts_.format(micros); }

 private:
  void appendJson(const LogLine& line, std::string& out);

  std::string hostname_;
  TimestampFormatter ts_;
};

}  // namespace sluice
