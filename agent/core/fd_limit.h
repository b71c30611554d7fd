#pragma once
// The process's descriptor limit. systemd starts services with a soft RLIMIT_NOFILE of 1,024 (for select()'s
// sake) and a hard one of 512K; Sluice uses epoll only, so at start it raises the soft limit to the hard one, as Go's
// runtime does. What the tail sources may hold of it is agent/sources/tail/fd_budget.h's business.
#include <cstdint>

namespace sluice {

struct FdLimit {
  uint64_t soft_before = 0;   // what the process was started with
  uint64_t soft = 0;          // what it is now
  uint64_t hard = 0;
};

// Raises the soft limit of open descriptors to the hard limit (never lowers it). On failure the limit stays as it
// was; the result says what it is either way.
FdLimit raiseFdLimit() noexcept;

// The soft limit now.
uint64_t fdLimit() noexcept;

// Descriptors set aside for a listener's connections (the logplex input reserves its connection cap): the tail
// sources' budget leaves them free, so that neither use can starve the other. Loop thread only.
void reserveDescriptors(uint64_t n) noexcept;
void releaseDescriptors(uint64_t n) noexcept;
uint64_t reservedDescriptors() noexcept;

}  // namespace sluice
