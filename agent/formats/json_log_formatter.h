#pragma once
// Sluice's own log as JSON (agent.log_format: json): one object per line, for log collectors that parse JSON
// (Kubernetes, Loki, Elasticsearch) rather than guess at a text layout:
//   {"time":"2026-12-03T05:04:41.123456Z","level":"warn","message":"...","component":"drain","component_kind":"sink"}
// The component keys are there when the message names one the way every component's message starts
// ("sink NAME: ...", "source NAME: ..."). The message is escaped by the one JSON string writer (json_escape.h), so
// a quote, a control character or invalid UTF-8 in it cannot break the line.
#include <spdlog/formatter.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace sluice {

class JsonLogFormatter final : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override;
  std::unique_ptr<spdlog::formatter> clone() const override { return std::make_unique<JsonLogFormatter>(); }
};

// One log message as a JSON object with its newline (what JsonLogFormatter writes); `micros` since the epoch.
std::string jsonLogLine(int64_t micros, std::string_view level, std::string_view message);

// The formatter for agent.log_format: nullptr for "text" (the default pattern), a JsonLogFormatter for "json".
std::unique_ptr<spdlog::formatter> logFormatter(std::string_view format);

}  // namespace sluice
