#pragma once
// The agent's own log with a chosen layout (agent.log_format). Apart from log.h, which nearly every file includes,
// so that this rarely used entry point does not weigh on them.
#include <spdlog/formatter.h>

#include <memory>
#include <string_view>

namespace sluice {

// setupLogging(level) with `formatter` writing each message (formats/json_log_formatter.h for JSON); nullptr: the
// text layout "TIME LEVEL MESSAGE", which setupLogging(level) always sets.
bool setupLogging(std::string_view level, std::unique_ptr<spdlog::formatter> formatter);

}  // namespace sluice
