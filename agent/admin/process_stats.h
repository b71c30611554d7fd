#pragma once
// The agent's own process figures for /metrics, from /proc/self (Linux).
#include <cstdint>

namespace sluice {

struct ProcessStats {
  double cpu_seconds = 0;        // user + system
  uint64_t resident_bytes = 0;
  uint64_t virtual_bytes = 0;
  uint64_t open_fds = 0;
  uint64_t max_fds = 0;
  double start_time_seconds = 0; // Unix time
};

ProcessStats readProcessStats();

}  // namespace sluice
