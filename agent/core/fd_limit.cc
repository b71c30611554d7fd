#include "agent/core/fd_limit.h"

#include <sys/resource.h>

#include <algorithm>

namespace sluice {

FdLimit raiseFdLimit() noexcept {
  FdLimit out;
  struct rlimit rl {};
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0) return out;
  out.soft_before = out.soft = rl.rlim_cur;
  out.hard = rl.rlim_max;
  if (rl.rlim_cur == RLIM_INFINITY || (rl.rlim_max != RLIM_INFINITY && rl.rlim_cur >= rl.rlim_max)) return out;
  struct rlimit want = rl;
  want.rlim_cur = rl.rlim_max;
  // An unlimited hard limit cannot be a soft one (the kernel caps descriptors at fs.nr_open): take 1M then.
  if (want.rlim_cur == RLIM_INFINITY) want.rlim_cur = 1 << 20;
  if (setrlimit(RLIMIT_NOFILE, &want) == 0) out.soft = want.rlim_cur;
  return out;
}

namespace {
uint64_t reserved = 0;
}  // namespace

void reserveDescriptors(uint64_t n) noexcept { reserved += n; }
void releaseDescriptors(uint64_t n) noexcept { reserved -= std::min(reserved, n); }
uint64_t reservedDescriptors() noexcept { return reserved; }

uint64_t fdLimit() noexcept {
  struct rlimit rl {};
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0) return 1024;
  return rl.rlim_cur;
}

}  // namespace sluice
