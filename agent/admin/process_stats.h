#pragma once
// The agent's own process figures for /metrics, from /proc/self (Linux).
#include <cstdint>
#include <string>

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

// The descriptors a process holds, from its /proc/PID/fd directory `fd_dir`. On procfs since Linux 6.2 a stat of
// the directory says (its size): two syscalls, where listing 1,000 descriptors every sample was the larger part of an
// idle agent's CPU. Elsewhere (older kernels, a test's copy of /proc) the directory is listed; `own` says it is the
// calling process's, whose listing holds the directory stream's own descriptor (not counted).
uint64_t countOpenFds(const std::string& fd_dir, bool own);

}  // namespace sluice
