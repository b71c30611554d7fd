#pragma once
// Records for tests: one line of a source, as a source hands it on.
#include <cstdint>
#include <string_view>

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

}  // namespace sluice
