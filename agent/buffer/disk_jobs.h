#pragma once
// Blocking file work (write + fsync, ledger, deletes) runs on libuv's thread pool, one job at a time and in order
// per owner, so the loop never waits on a disk and writes never overtake each other.
#include <uv.h>

#include <deque>
#include <functional>

#include "agent/core/result.h"
#include "agent/loop/loop.h"

namespace sluice {

class DiskJobs {
 public:
  explicit DiskJobs(Loop& loop) : loop_(loop) {}
  // The owner must wait for idle() before destroying this (the work of a running job uses the owner's state).
  ~DiskJobs();
  DiskJobs(const DiskJobs&) = delete;
  DiskJobs& operator=(const DiskJobs&) = delete;

  // `work` runs on a worker thread; `done` on the loop with its status.
  void run(std::function<Status()> work, std::function<void(Status)> done);
  bool idle() const { return running_ == nullptr && queue_.empty(); }
  size_t queued() const { return queue_.size() + (running_ != nullptr ? 1 : 0); }
  // Runs `fn` on the loop once every job queued so far is done.
  void whenIdle(std::function<void()> fn);

 private:
  struct Job {
    uv_work_t req{};
    DiskJobs* owner = nullptr;
    std::function<Status()> work;
    std::function<void(Status)> done;
    Status result;
  };
  void startNext();
  static void onWork(uv_work_t* req) noexcept;
  static void onDone(uv_work_t* req, int status) noexcept;

  Loop& loop_;
  std::deque<Job*> queue_;
  Job* running_ = nullptr;
  std::vector<std::function<void()>> idle_waiters_;
};

}  // namespace sluice
