#pragma once
#include <uv.h>

#include <functional>
#include <memory>
#include <vector>

#include "agent/loop/uv_handle.h"

namespace sluice {

// Something that may be freed on a later loop turn (an object must not be deleted inside its own callback).
class Deletable {
 public:
  virtual ~Deletable() = default;
};

class Loop {
 public:
  Loop();
  ~Loop();
  Loop(const Loop&) = delete;
  Loop& operator=(const Loop&) = delete;

  uv_loop_t* get() { return &loop_; }

  // Frees `object` on the next loop turn.
  void deferDelete(std::unique_ptr<Deletable> object);
  // Runs `fn` on the next loop turn (never synchronously).
  void post(std::function<void()> fn);

  int run();          // UV_RUN_DEFAULT
  void stop() { uv_stop(&loop_); }
  uint64_t nowMs() { return uv_now(&loop_); }

  // Closes the loop after every owner has closed its handles: runs the pending close callbacks and returns
  // uv_loop_close's result (0 when nothing leaked). Tests assert it.
  int close();

 private:
  void scheduleTurn();
  static void onIdle(uv_idle_t* idle) noexcept;

  uv_loop_t loop_{};
  bool closed_ = false;
  UvHandle<uv_idle_t> idle_;
  std::vector<std::unique_ptr<Deletable>> deferred_;
  std::vector<std::function<void()>> posted_;
};

}  // namespace sluice
