#pragma once
// The body of POST /log-sessions: {"lines": 10, "tail": true, "filter": "web"}, every field optional. It comes
// from whoever holds the API token, so it is parsed as outside input: a size cap, RapidJSON's iterative parser (no
// recursion an input could drive), and a 400 that says what is wrong with a bad document or a wrong type.
#include <cstdint>
#include <string>
#include <string_view>

#include "agent/core/result.h"

namespace sluice {

struct LogSessionRequest {
  uint64_t lines = 100;   // the last lines answered first (capped to api.recent_lines)
  bool tail = false;      // then follow new lines (SSE or WebSocket)
  std::string filter;     // as for GET /logs?filter= ("" matches every line)
};

// A body larger than this is refused (a filter is at most 1 KiB).
inline constexpr size_t kMaxLogSessionBody = 4096;

// An empty body (or only white space) asks for the defaults.
Result<LogSessionRequest> parseLogSessionRequest(std::string_view body);

}  // namespace sluice
