#pragma once
// Records for tests: one line of a source, as a source hands it on, and as the admin API shows it.
#include <cstdint>
#include <string_view>

#include "agent/admin/log_line.h"
#include "agent/core/record.h"

namespace sluice {

// A line of `source` (which must outlive the record), received at `received_us`.
inline Record recordOf(const SourceInfo& source, std::string_view message, int64_t received_us = 0) {
  Record r;
  r.source = &source;
  r.message = message;
  r.received_us = received_us;
  return r;
}

// A line for the admin API's formatters, received at 2020-03-29T11:01:02.120000Z (the strings must outlive it).
inline LogLine logLineOf(std::string_view source, std::string_view type, std::string_view message,
                         std::string_view instance = {}) {
  LogLine l;
  l.received_us = 1585479662120000;
  l.source = source;
  l.type = type;
  l.instance = instance;
  l.message = message;
  return l;
}

}  // namespace sluice
