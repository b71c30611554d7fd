#include "agent/loop/job_runner.h"

#include <algorithm>

namespace sluice {

JobRunner::~JobRunner() {
  *alive_ = false;
  // libuv still holds these: each is freed by onAfterWork, which finds no owner and runs no completion.
  for (Job* job : on_pool_) job->owner = nullptr;
}

void JobRunner::enqueue(std::unique_ptr<Job> job) {
  queue_.push_back(std::move(job));
  startNext();
}

void JobRunner::whenIdle(std::function<void()> fn) {
  idle_waiters_.push_back(std::move(fn));
  if (idle()) postIdleWaiters();
}

void JobRunner::postIdleWaiters() {
  for (auto& fn : std::exchange(idle_waiters_, {})) {
    loop_.post([alive = alive_, fn = std::move(fn)] {
      if (*alive) fn();
    });
  }
}

void JobRunner::startNext() {
  while (running_ < max_in_flight_ && !queue_.empty()) {
    std::unique_ptr<Job> job = std::move(queue_.front());
    queue_.pop_front();
    job->owner = this;
    job->req.data = job.get();
    if (uv_queue_work(loop_.get(), &job->req, &JobRunner::onWork, &JobRunner::onAfterWork) == 0) {
      on_pool_.push_back(job.release());
      ++running_;
      continue;
    }
    // libuv refuses only a null callback, so this does not happen; if it ever did, the job runs here rather than
    // being lost.
    job->work();
    std::shared_ptr<bool> alive = alive_;
    job->complete();
    if (!*alive) return;
  }
  if (idle() && !idle_waiters_.empty()) postIdleWaiters();
}

void JobRunner::onWork(uv_work_t* req) noexcept { static_cast<Job*>(req->data)->work(); }

void JobRunner::onAfterWork(uv_work_t* req, int) noexcept {
  std::unique_ptr<Job> job(static_cast<Job*>(req->data));
  JobRunner* self = job->owner;
  if (self == nullptr) return;  // the runner is gone: the job is freed, its completion not run
  std::erase(self->on_pool_, job.get());
  --self->running_;
  std::shared_ptr<bool> alive = self->alive_;
  job->complete();
  job.reset();
  if (*alive) self->startNext();  // the completion may have destroyed the runner's owner, and the runner with it
}

}  // namespace sluice
