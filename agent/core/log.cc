#include "agent/core/log.h"

#include <spdlog/sinks/stdout_sinks.h>

#include "agent/core/log_setup.h"
#include "agent/core/units.h"

namespace sluice {

bool setupLogging(std::string_view level, std::unique_ptr<spdlog::formatter> formatter) {
  auto lvl = spdlog::level::from_str(std::string(level));
  if (lvl == spdlog::level::off && level != "off") return false;
  static std::shared_ptr<spdlog::logger> logger;
  if (!logger) {
    logger = spdlog::stderr_logger_mt("sluice");
    spdlog::set_default_logger(logger);
  }
  if (formatter) {
    logger->set_formatter(std::move(formatter));
  } else {
    logger->set_pattern("%Y-%m-%dT%H:%M:%S.%fZ %^%l%$ %v", spdlog::pattern_time_type::utc);
  }
  spdlog::set_level(lvl);
  spdlog::flush_on(spdlog::level::warn);
  return true;
}

bool setupLogging(std::string_view level) { return setupLogging(level, nullptr); }

bool RateLimitedLog::allow(uint64_t* suppressed) {
  auto now = std::chrono::steady_clock::now();
  if (!any_ || now - last_ >= interval_) {
    any_ = true;
    last_ = now;
    if (suppressed != nullptr) *suppressed = suppressed_;
    suppressed_ = 0;
    return true;
  }
  ++suppressed_;
  return false;
}

std::string suppressedNote(uint64_t suppressed, std::string_view what) {
  if (suppressed == 0) return {};
  return " (" + countOf(suppressed, what) + " not logged)";
}

}  // namespace sluice
