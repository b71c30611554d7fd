#include "agent/pipeline/source.h"

#include <atomic>

namespace sluice {

uint32_t nextSourceId() {
  static std::atomic<uint32_t> next{1};
  return next.fetch_add(1, std::memory_order_relaxed);
}

}  // namespace sluice
