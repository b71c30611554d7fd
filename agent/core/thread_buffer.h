#pragma once
// A scratch buffer of N bytes per thread, allocated on that thread's first use. A thread_local array would be
// zeroed by every thread the process starts (libuv's pool, librdkafka's), touching its pages whether the thread
// ever uses it or not: 144 KiB of resident memory per thread for the network buffers.
#include <cstddef>
#include <memory>
#include <new>

namespace sluice {

// `Tag` tells apart buffers of the same size that are in use at the same time. nullptr when memory is short (it is
// called from libuv callbacks, which must not throw).
template <typename Tag, size_t N>
char* threadBuffer() {
  thread_local std::unique_ptr<char[]> buffer;
  if (!buffer) buffer.reset(new (std::nothrow) char[N]);  // uninitialised: its pages are touched as it is used
  return buffer.get();
}

}  // namespace sluice
