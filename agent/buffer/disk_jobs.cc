#include "agent/buffer/disk_jobs.h"

#include <spdlog/spdlog.h>

namespace sluice {

DiskJobs::~DiskJobs() {
  if (running_ != nullptr) {
    spdlog::error("internal: a disk job outlived its owner");
    running_->owner = nullptr;
  }
  for (Job* j : queue_) delete j;
}

void DiskJobs::run(std::function<Status()> work, std::function<void(Status)> done) {
  auto* job = new Job;
  job->owner = this;
  job->req.data = job;
  job->work = std::move(work);
  job->done = std::move(done);
  queue_.push_back(job);
  if (running_ == nullptr) startNext();
}

void DiskJobs::whenIdle(std::function<void()> fn) {
  if (idle()) {
    loop_.post(std::move(fn));
    return;
  }
  idle_waiters_.push_back(std::move(fn));
}

void DiskJobs::startNext() {
  while (running_ == nullptr && !queue_.empty()) {
    Job* job = queue_.front();
    queue_.pop_front();
    int rc = uv_queue_work(loop_.get(), &job->req, &DiskJobs::onWork, &DiskJobs::onDone);
    if (rc == 0) {
      running_ = job;
      return;
    }
    // The pool refused (it never does while the loop runs): run the job here rather than lose it.
    job->result = job->work();
    auto done = std::move(job->done);
    Status st = std::move(job->result);
    delete job;
    if (done) done(std::move(st));
  }
  if (idle()) {
    for (auto& fn : std::exchange(idle_waiters_, {})) loop_.post(std::move(fn));
  }
}

void DiskJobs::onWork(uv_work_t* req) noexcept {
  auto* job = static_cast<Job*>(req->data);
  job->result = job->work();
}

void DiskJobs::onDone(uv_work_t* req, int) noexcept {
  auto* job = static_cast<Job*>(req->data);
  DiskJobs* self = job->owner;
  auto done = std::move(job->done);
  Status st = std::move(job->result);
  delete job;
  if (self == nullptr) return;
  self->running_ = nullptr;
  if (done) done(std::move(st));
  self->startNext();
}

}  // namespace sluice
