#include "agent/loop/loop.h"

#include <spdlog/spdlog.h>

namespace sluice {

Loop::Loop() {
  uv_loop_init(&loop_);
  idle_.init(this, [this](uv_idle_t* h) { return uv_idle_init(&loop_, h); });
  // The idle handle only runs when something is deferred; it never keeps the loop alive on its own.
  uv_unref(idle_.handle());
}

Loop::~Loop() {
  if (!closed_) close();
}

void Loop::deferDelete(std::unique_ptr<Deletable> object) {
  deferred_.push_back(std::move(object));
  scheduleTurn();
}

void Loop::post(std::function<void()> fn) {
  posted_.push_back(std::move(fn));
  scheduleTurn();
}

void Loop::scheduleTurn() {
  if (!idle_) return;
  uv_ref(idle_.handle());
  uv_idle_start(idle_.get(), &Loop::onIdle);
}

void Loop::onIdle(uv_idle_t* idle) noexcept {
  Loop* self = ownerOf<Loop>(idle);
  if (self == nullptr) return;
  // Swap first: what these run may defer more work, which then waits for the next turn.
  auto posted = std::move(self->posted_);
  self->posted_.clear();
  auto deferred = std::move(self->deferred_);
  self->deferred_.clear();
  for (auto& fn : posted) fn();
  deferred.clear();
  if (self->posted_.empty() && self->deferred_.empty()) {
    uv_idle_stop(idle);
    uv_unref(reinterpret_cast<uv_handle_t*>(idle));
  }
}

int Loop::run() { return uv_run(&loop_, UV_RUN_DEFAULT); }

int Loop::close() {
  if (closed_) return 0;
  // Posted work is dropped, not run: its owners are gone by now. Deferred objects are freed, then the close
  // callbacks of every closed handle fire.
  posted_.clear();
  for (int i = 0; i < 16 && !deferred_.empty(); ++i) {
    auto deferred = std::move(deferred_);
    deferred_.clear();
  }
  idle_.close();
  for (int i = 0; i < 8; ++i) uv_run(&loop_, UV_RUN_NOWAIT);
  int rc = uv_loop_close(&loop_);
  if (rc != 0) {
    uv_walk(
        &loop_,
        [](uv_handle_t* h, void*) noexcept {
          spdlog::error("loop closed with an open handle: {} (active={})", uv_handle_type_name(h->type),
                        uv_is_active(h));
        },
        nullptr);
  } else {
    closed_ = true;
  }
  return rc;
}

}  // namespace sluice
