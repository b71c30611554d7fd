#pragma once
// Waiting in tests: on a condition with a deadline, never a bare sleep.
#include <uv.h>

#include <chrono>
#include <functional>
#include <thread>

#include "agent/loop/loop.h"

namespace sluice {

// Polls `cond` with short sleeps until it holds or `deadline` passes; returns whether it held. For conditions
// another thread or process makes true.
inline bool waitFor(std::function<bool()> cond, std::chrono::milliseconds deadline) {
  auto end = std::chrono::steady_clock::now() + deadline;
  while (!cond()) {
    if (std::chrono::steady_clock::now() >= end) return cond();
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return true;
}

// Runs `loop` until `cond` holds or `deadline` passes; returns whether it held. For conditions the loop's own
// callbacks make true (client and server on one loop).
inline bool runLoopUntil(Loop& loop, const std::function<bool()>& cond, std::chrono::milliseconds deadline) {
  UvHandle<uv_timer_t> tick;
  // The tick only wakes the loop so the deadline is looked at even when nothing else happens.
  tick.init(nullptr, [&loop](uv_timer_t* t) { return uv_timer_init(loop.get(), t); });
  uv_timer_start(tick.get(), [](uv_timer_t*) {}, 5, 5);
  auto end = std::chrono::steady_clock::now() + deadline;
  bool ok = cond();
  while (!ok && std::chrono::steady_clock::now() < end) {
    uv_run(loop.get(), UV_RUN_ONCE);
    ok = cond();
  }
  return ok;
}

}  // namespace sluice
