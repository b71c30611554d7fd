#include "agent/core/memory.h"

#include <malloc.h>

namespace sluice {

void releaseFreedMemory() noexcept {
#if defined(__GLIBC__)
  malloc_trim(0);
#endif
}

}  // namespace sluice
