#include "tests/support/loop_thread.h"

#include <deque>
#include <future>
#include <mutex>

namespace sluice {

struct LoopThread::Shared {
  std::mutex mu;
  std::deque<std::function<void()>> tasks;
  UvHandle<uv_async_t> wake;

  static void onWake(uv_async_t* async) noexcept {
    auto* self = ownerOf<Shared>(async);
    if (self == nullptr) return;
    std::deque<std::function<void()>> run;
    {
      std::lock_guard<std::mutex> lock(self->mu);
      run.swap(self->tasks);
    }
    for (auto& fn : run) fn();
  }
};

LoopThread::LoopThread() : loop_(std::make_unique<Loop>()), shared_(std::make_shared<Shared>()) {
  // The wake handle is created before the thread runs the loop: run() may be called at once.
  shared_->wake.init(shared_.get(), [&](uv_async_t* a) { return uv_async_init(loop_->get(), a, &Shared::onWake); });
  thread_ = std::thread([this] {
    loop_->run();
    loop_->close();
  });
}

LoopThread::~LoopThread() { shutdown(); }

void LoopThread::run(const std::function<void()>& fn) {
  std::promise<void> done;
  auto finished = done.get_future();
  {
    std::lock_guard<std::mutex> lock(shared_->mu);
    shared_->tasks.push_back([&] {
      fn();
      done.set_value();
    });
  }
  uv_async_send(shared_->wake.get());
  finished.wait();
}

void LoopThread::shutdown(const std::function<void()>& teardown) {
  if (down_) return;
  down_ = true;
  run([&] {
    if (teardown) teardown();
    shared_->wake.close();
    loop_->stop();
  });
  thread_.join();
}

}  // namespace sluice
