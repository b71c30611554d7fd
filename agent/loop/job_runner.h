#pragma once
// Blocking work (disk writes, fsync, directory scans) on libuv's thread pool, with its completion back on the loop.
// The runner owns every uv_work_t it hands to libuv: a request lives until libuv's after-work callback, never
// shorter, like a handle until its close callback (uv_handle.h).
//
//   jobs_.submit([path, bytes]() noexcept { return writeFileDurably(path, bytes); },   // a worker thread
//                [this](Status st) noexcept { ... });                                  // the loop
//
// At most `max_in_flight` jobs are on the pool at once; the others wait in submission order (with 1, jobs run
// one at a time, in order: a write never overtakes the one before it). When the runner is destroyed, jobs that
// have not started are dropped, jobs on the pool run to their end (the work must therefore own what it uses, or
// the owner must wait for idle() first), and no completion runs any more: a completion may use its owner freely.
#include <uv.h>

#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <type_traits>
#include <utility>
#include <vector>

#include "agent/loop/loop.h"

namespace sluice {

class JobRunner {
 public:
  explicit JobRunner(Loop& loop, size_t max_in_flight = 1) : loop_(loop), max_in_flight_(max_in_flight) {}
  ~JobRunner();
  JobRunner(const JobRunner&) = delete;
  JobRunner& operator=(const JobRunner&) = delete;

  // `work()` runs on a worker thread; `done(result)` (or `done()` when the work returns nothing) on the loop.
  // Both are noexcept: nothing may throw on the pool or on the loop.
  template <class Work, class Done>
  void submit(Work work, Done done);

  bool idle() const { return running_ == 0 && queue_.empty(); }
  size_t pending() const { return running_ + queue_.size(); }  // waiting or on the pool
  // Runs `fn` on the loop (on a later turn) once no job is waiting or running; not at all if the runner goes first.
  void whenIdle(std::function<void()> fn);

 private:
  struct Job {
    uv_work_t req{};
    JobRunner* owner = nullptr;  // nullptr once the runner is gone: the job is freed without its completion
    virtual ~Job() = default;
    virtual void work() noexcept = 0;
    virtual void complete() noexcept = 0;
  };
  template <class Work, class Done>
  struct TypedJob;

  void enqueue(std::unique_ptr<Job> job);
  void startNext();
  void postIdleWaiters();
  static void onWork(uv_work_t* req) noexcept;
  static void onAfterWork(uv_work_t* req, int status) noexcept;

  Loop& loop_;
  size_t max_in_flight_;
  size_t running_ = 0;
  std::deque<std::unique_ptr<Job>> queue_;
  std::vector<Job*> on_pool_;  // owned by libuv until onAfterWork
  std::vector<std::function<void()>> idle_waiters_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

template <class Work, class Done>
struct JobRunner::TypedJob final : Job {
  using R = std::invoke_result_t<Work&>;
  struct Nothing {};
  using Slot = std::conditional_t<std::is_void_v<R>, Nothing, std::optional<R>>;

  TypedJob(Work w, Done d) : work_(std::move(w)), done_(std::move(d)) {}
  void work() noexcept override {
    if constexpr (std::is_void_v<R>) {
      work_();
    } else {
      result_.emplace(work_());
    }
  }
  void complete() noexcept override {
    if constexpr (std::is_void_v<R>) {
      done_();
    } else {
      done_(std::move(*result_));
    }
  }

  Work work_;
  Done done_;
  Slot result_;
};

template <class Work, class Done>
void JobRunner::submit(Work work, Done done) {
  using R = std::invoke_result_t<Work&>;
  static_assert(std::is_nothrow_invocable_v<Work&>, "a job's work must be noexcept");
  if constexpr (std::is_void_v<R>) {
    static_assert(std::is_nothrow_invocable_v<Done&>, "a job's completion must be noexcept");
  } else {
    static_assert(std::is_nothrow_invocable_v<Done&, R&&>, "a job's completion must be noexcept");
  }
  enqueue(std::make_unique<TypedJob<Work, Done>>(std::move(work), std::move(done)));
}

}  // namespace sluice
