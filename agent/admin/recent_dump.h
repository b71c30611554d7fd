#pragma once
// The body of a dump of the recent-lines ring (GET /logs?n=, a one-shot log session): the last `n` lines that
// match `filter`, oldest first, in `format` (a JSON array for Json).
#include <cstddef>
#include <string>
#include <string_view>

#include "agent/admin/log_filter.h"
#include "agent/admin/log_format.h"
#include "agent/admin/recent_lines.h"

namespace sluice {

std::string dumpRecentLines(const RecentLines& ring, LineFormatter& formatter, const LogFilter& filter, size_t n,
                            LogFormat format);
std::string_view logFormatContentType(LogFormat format);

}  // namespace sluice
