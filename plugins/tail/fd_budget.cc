#include "plugins/tail/fd_budget.h"

#include <algorithm>

#include "agent/core/fd_limit.h"

namespace sluice::plugins::tail {

FdBudget& FdBudget::process() {
  static FdBudget budget(forLimit(fdLimit()), true);
  return budget;
}

size_t FdBudget::limit() const {
  if (!follow_reservations_) return limit_;
  uint64_t reserved = reservedDescriptors();
  return reserved >= limit_ ? 1 : limit_ - static_cast<size_t>(reserved);
}

size_t FdBudget::forLimit(uint64_t fd_limit) {
  const uint64_t reserve = std::min<uint64_t>(fd_limit / 4, 1024);
  return static_cast<size_t>(std::max<uint64_t>(fd_limit - reserve, 1));
}

void FdBudget::add(Holder* h) { holders_.push_back(h); }

void FdBudget::remove(Holder* h) { std::erase(holders_, h); }

bool FdBudget::acquire() {
  const size_t limit = this->limit();
  if (used_ >= limit) {
    Holder* oldest = nullptr;
    uint64_t when = UINT64_MAX;
    for (Holder* h : holders_) {
      uint64_t t = h->oldestClosable();
      if (t < when) {
        when = t;
        oldest = h;
      }
    }
    if (oldest == nullptr) return false;
    oldest->closeOldest();  // calls release()
    if (used_ >= limit) return false;
  }
  ++used_;
  return true;
}

void FdBudget::release() {
  if (used_ > 0) --used_;
}

}  // namespace sluice::plugins::tail
