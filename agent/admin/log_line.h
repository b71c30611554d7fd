#pragma once
// One received line as the admin API shows it, from the recent-lines ring or the archive. A view: valid until
// the ring or the archive reader moves on.
#include <cstdint>
#include <string_view>

#include "agent/core/record.h"

namespace sluice {

struct LogLine {
  uint64_t seq = 0;               // the ring's sequence number (0 for archived lines)
  int64_t received_us = 0;
  int64_t event_us = 0;           // 0 when unknown
  std::string_view source;        // the source's name ("app", "web-1", a logplex input's name)
  std::string_view type;          // the source's type ("stdin", "exec", "logplex", ...)
  std::string_view instance;      // the part of the source it came from: a tail source's file; "" for none
  Severity severity = Severity::Info;
  bool preformatted = false;      // message is a whole RFC 5424 message (logplex input)
  std::string_view message;
};

// Who a line came from: its source's name, type and instance (see SourceInfo).
struct LineSource {
  std::string_view name;
  std::string_view type;
  std::string_view instance;
};

// Lines without a source are Sluice's own.
inline LineSource lineSourceOf(const SourceInfo* source) {
  if (source == nullptr) return LineSource{"sluice", "internal", ""};
  return LineSource{source->name, source->type, source->instance};
}

}  // namespace sluice
