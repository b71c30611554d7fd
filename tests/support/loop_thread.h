#pragma once
// A Loop on a thread of its own, for the servers tests start beside the agent (the test drain, the syslog and
// NDJSON receivers). Work goes to it through run(), which waits until it is done. The wake handle is the loop
// thread's; shutdown() runs the owner's teardown on the loop, closes the wake handle, and joins.
#include <functional>
#include <memory>
#include <thread>

#include "agent/loop/loop.h"

namespace sluice {

class LoopThread {
 public:
  LoopThread();
  ~LoopThread();  // shuts down if the owner did not
  LoopThread(const LoopThread&) = delete;
  LoopThread& operator=(const LoopThread&) = delete;

  Loop& loop() { return *loop_; }
  // Runs `fn` on the loop's thread and returns once it has run.
  void run(const std::function<void()>& fn);
  // Runs `teardown` on the loop (it closes what the owner opened on it), then stops the loop, closes it and
  // joins the thread.
  void shutdown(const std::function<void()>& teardown = {});

 private:
  struct Shared;
  std::unique_ptr<Loop> loop_;
  std::shared_ptr<Shared> shared_;
  std::thread thread_;
  bool down_ = false;
};

}  // namespace sluice
