#pragma once
// Returning freed memory to the system. glibc's malloc keeps freed heap pages mapped (and raises its mmap threshold
// after a large free, so later large buffers come from the heap too): a burst that is over leaves RSS at its peak.
namespace sluice {

// Hands the free pages of the malloc heap back to the system (malloc_trim). Costs a walk over the free lists:
// call it after a burst ends, not per line.
void releaseFreedMemory() noexcept;

}  // namespace sluice
