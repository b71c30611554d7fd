// JobRunner: work on the thread pool, completions on the loop, in order, and nothing run for an owner that is gone.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "agent/loop/job_runner.h"
#include "tests/support/wait.h"

using namespace sluice;
using namespace std::chrono_literals;

namespace {

// Holds jobs on the pool until released, so that a test decides when they end.
class Gate {
 public:
  void wait() {
    std::unique_lock<std::mutex> lock(mu_);
    ++waiting_;
    cv_.notify_all();
    cv_.wait(lock, [this] { return open_; });
  }
  void open() {
    std::lock_guard<std::mutex> lock(mu_);
    open_ = true;
    cv_.notify_all();
  }
  bool waitForWaiting(int n, std::chrono::milliseconds deadline) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, deadline, [&] { return waiting_ >= n; });
  }
  int waiting() {
    std::lock_guard<std::mutex> lock(mu_);
    return waiting_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool open_ = false;
  int waiting_ = 0;
};

}  // namespace

TEST_CASE("jobs run on the thread pool and their completions on the loop, in submission order", "[job_runner]") {
  Loop loop;
  const std::thread::id loop_thread = std::this_thread::get_id();
  std::vector<int> completed;
  std::atomic<int> off_loop{0};
  {
    JobRunner jobs(loop);
    for (int i = 0; i < 20; ++i) {
      jobs.submit(
          [i, loop_thread, &off_loop]() noexcept {
            if (std::this_thread::get_id() != loop_thread) ++off_loop;
            return i * 10;
          },
          [&completed, loop_thread](int result) noexcept {
            CHECK(std::this_thread::get_id() == loop_thread);
            completed.push_back(result);
          });
    }
    CHECK(jobs.pending() == 20);
    CHECK_FALSE(jobs.idle());
    REQUIRE(runLoopUntil(loop, [&] { return jobs.idle(); }, 10s));
  }
  CHECK(off_loop == 20);
  std::vector<int> expected;
  for (int i = 0; i < 20; ++i) expected.push_back(i * 10);
  CHECK(completed == expected);
  CHECK(loop.close() == 0);
}

TEST_CASE("a runner keeps at most max_in_flight jobs on the pool", "[job_runner]") {
  Loop loop;
  Gate gate;
  std::atomic<int> running{0};
  std::atomic<int> most{0};
  int done = 0;
  {
    JobRunner jobs(loop, 2);
    for (int i = 0; i < 6; ++i) {
      jobs.submit(
          [&]() noexcept {
            int now = ++running;
            for (int m = most; now > m && !most.compare_exchange_weak(m, now);) {
            }
            gate.wait();
            --running;
          },
          [&]() noexcept { ++done; });
    }
    REQUIRE(gate.waitForWaiting(2, 10s));
    CHECK(jobs.pending() == 6);
    gate.open();
    REQUIRE(runLoopUntil(loop, [&] { return done == 6; }, 10s));
    CHECK(jobs.idle());
  }
  CHECK(most == 2);
  CHECK(loop.close() == 0);
}

TEST_CASE("whenIdle runs once every job is done, on a later loop turn", "[job_runner]") {
  Loop loop;
  JobRunner jobs(loop);
  int done = 0;
  int idle_calls = 0;
  int done_at_idle = -1;
  jobs.whenIdle([&] { ++idle_calls; });  // idle now: runs on the next turn, not here
  CHECK(idle_calls == 0);
  for (int i = 0; i < 3; ++i) jobs.submit([]() noexcept {}, [&]() noexcept { ++done; });
  jobs.whenIdle([&] { done_at_idle = done; });
  REQUIRE(runLoopUntil(loop, [&] { return done_at_idle >= 0; }, 10s));
  CHECK(done_at_idle == 3);
  CHECK(idle_calls == 1);
  CHECK(loop.close() == 0);
}

TEST_CASE("a runner destroyed with jobs in flight runs no completion, frees its requests, and the loop closes clean",
          "[job_runner]") {
  Loop loop;
  Gate gate;
  auto held = std::make_shared<int>(7);  // owned by the work: freed with it, once the pool is done with it
  std::atomic<int> worked{0};
  int completions = 0;
  bool idle_ran = false;
  auto jobs = std::make_unique<JobRunner>(loop);
  jobs->submit(
      [&gate, &worked, held]() noexcept {
        gate.wait();
        ++worked;
        return *held;
      },
      [&completions](int) noexcept { ++completions; });
  jobs->submit([&worked]() noexcept { ++worked; }, [&completions]() noexcept { ++completions; });  // never starts
  jobs->whenIdle([&] { idle_ran = true; });
  REQUIRE(gate.waitForWaiting(1, 10s));
  jobs.reset();
  gate.open();
  // The request is libuv's until its after-work callback: the loop runs until it came and went.
  REQUIRE(runLoopUntil(loop, [&] { return held.use_count() == 1; }, 10s));
  CHECK(worked == 1);
  CHECK(completions == 0);
  CHECK_FALSE(idle_ran);
  CHECK(loop.close() == 0);
}

TEST_CASE("a completion may submit the next job, which runs after those queued before it", "[job_runner]") {
  Loop loop;
  JobRunner jobs(loop);
  std::vector<std::string> order;
  jobs.submit([]() noexcept { return std::string("a"); },
              [&](std::string s) noexcept {
                order.push_back(s);
                jobs.submit([]() noexcept { return std::string("c"); },
                            [&](std::string t) noexcept { order.push_back(t); });
              });
  jobs.submit([]() noexcept { return std::string("b"); }, [&](std::string s) noexcept { order.push_back(s); });
  REQUIRE(runLoopUntil(loop, [&] { return order.size() == 3; }, 10s));
  CHECK(order == std::vector<std::string>{"a", "b", "c"});
  CHECK(jobs.idle());
  CHECK(loop.close() == 0);
}
