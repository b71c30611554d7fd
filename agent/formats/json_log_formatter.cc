#include "agent/formats/json_log_formatter.h"

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <ctime>

#include "agent/formats/json_escape.h"

namespace sluice {
namespace {

// The names of agent.log_level ("warn", not spdlog's "warning"), so that a filter on the level matches the config.
std::string_view levelName(spdlog::level::level_enum level) {
  switch (level) {
    case spdlog::level::trace: return "trace";
    case spdlog::level::debug: return "debug";
    case spdlog::level::info: return "info";
    case spdlog::level::warn: return "warn";
    case spdlog::level::err: return "error";
    case spdlog::level::critical: return "critical";
    default: return "off";
  }
}

void appendString(std::string& out, std::string_view s) {
  const size_t at = out.size();
  out.resize(at + maxJsonStringLength(s));
  out.resize(at + writeJsonString(s, out.data() + at, InvalidUtf8::Replacement));
}

// "sink drain: ..." → kind "sink", name "drain"; nothing for a message that does not start that way.
void appendComponent(std::string& out, std::string_view message) {
  for (std::string_view kind : {std::string_view("sink"), std::string_view("source")}) {
    if (message.size() <= kind.size() + 1 || message.substr(0, kind.size()) != kind || message[kind.size()] != ' ') {
      continue;
    }
    std::string_view rest = message.substr(kind.size() + 1);
    size_t end = rest.find_first_of(": ");
    if (end == 0 || end == std::string_view::npos || rest[end] != ':') return;
    out += ",\"component\":";
    appendString(out, rest.substr(0, end));
    out += ",\"component_kind\":\"";
    out += kind;
    out += '"';
    return;
  }
}

}  // namespace

std::string jsonLogLine(int64_t micros, std::string_view level, std::string_view message) {
  const std::time_t secs = static_cast<std::time_t>(micros / 1000000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char ts[40];
  const size_t n = std::strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%S", &tm);
  std::snprintf(ts + n, sizeof ts - n, ".%06dZ", static_cast<int>(micros % 1000000));
  std::string out = "{\"time\":\"";
  out += ts;
  out += "\",\"level\":\"";
  out += level;
  out += "\",\"message\":";
  appendString(out, message);
  appendComponent(out, message);
  out += "}\n";
  return out;
}

void JsonLogFormatter::format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) {
  const int64_t micros =
      std::chrono::duration_cast<std::chrono::microseconds>(msg.time.time_since_epoch()).count();
  const std::string line =
      jsonLogLine(micros, levelName(msg.level), std::string_view(msg.payload.data(), msg.payload.size()));
  dest.append(line.data(), line.data() + line.size());
}

std::unique_ptr<spdlog::formatter> logFormatter(std::string_view format) {
  if (format == "json") return std::make_unique<JsonLogFormatter>();
  return nullptr;
}

}  // namespace sluice
