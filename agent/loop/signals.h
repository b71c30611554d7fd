#pragma once
// Signal watchers on the loop. They do not keep the loop alive: the agent ends when its work ends.
#include <functional>
#include <initializer_list>
#include <vector>

#include "agent/loop/loop.h"

namespace sluice {

class SignalWatcher {
 public:
  using Handler = std::function<void(int signum)>;

  SignalWatcher(Loop& loop, std::initializer_list<int> signals, Handler handler);
  ~SignalWatcher() = default;
  SignalWatcher(const SignalWatcher&) = delete;
  SignalWatcher& operator=(const SignalWatcher&) = delete;

  void close();

 private:
  struct Watch {
    SignalWatcher* owner;
    UvHandle<uv_signal_t> handle;
  };
  static void onSignal(uv_signal_t* handle, int signum) noexcept;

  Handler handler_;
  std::vector<std::unique_ptr<Watch>> watches_;
};

}  // namespace sluice
