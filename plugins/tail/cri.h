#pragma once
// The CRI log format (containerd, CRI-O; what the kubelet reads):
//   2024-05-01T10:00:00.123456789Z stdout F the line
// TIMESTAMP SP STREAM SP TAG SP MESSAGE, where TAG is "P" for a part of a longer line (more follows) and "F" for
// the full line or its last part. Parsing hands out a view of the message: nothing is copied.
#include <cstdint>
#include <string_view>

namespace sluice::plugins::tail {

struct CriLine {
  std::string_view message;
  bool is_stderr = false;
  bool partial = false;     // tag P: joined with what follows until an F
  int64_t time_us = 0;
};

class EventTimeParser;

// False when `line` does not have the CRI shape (timestamp, stdout|stderr, P|F). `times` caches the second of the
// previous line's timestamp (optional).
bool parseCriLine(std::string_view line, CriLine& out, EventTimeParser* times = nullptr);

}  // namespace sluice::plugins::tail
