#include "agent/loop/signals.h"

namespace sluice {

SignalWatcher::SignalWatcher(Loop& loop, std::initializer_list<int> signals, Handler handler)
    : handler_(std::move(handler)) {
  for (int signum : signals) {
    auto w = std::make_unique<Watch>();
    w->owner = this;
    if (w->handle.init(w.get(), [&](uv_signal_t* h) { return uv_signal_init(loop.get(), h); }) < 0) continue;
    uv_signal_start(w->handle.get(), &SignalWatcher::onSignal, signum);
    uv_unref(w->handle.handle());
    watches_.push_back(std::move(w));
  }
}

void SignalWatcher::close() { watches_.clear(); }

void SignalWatcher::onSignal(uv_signal_t* handle, int signum) noexcept {
  Watch* w = ownerOf<Watch>(handle);
  if (w != nullptr && w->owner->handler_) w->owner->handler_(signum);
}

}  // namespace sluice
