#include "agent/pipeline/batcher.h"

namespace sluice {
namespace {
// Free batch buffers kept for reuse; more would only hold memory after a burst.
constexpr size_t kMaxSpare = 4;
// A new batch's buffer is sized after the last batch closed (plus an eighth), at least this much: sized for
// max_bytes, every small batch would hold 1 MiB of address space, and the allocator's reuse of those blocks at
// shifting offsets touches ever more of them (RSS far above buffer.memory with 10-byte lines).
constexpr size_t kMinReserve = 16 * 1024;
}  // namespace

Batcher::Batcher(Loop& loop, const BatchLimits& limits, Rfc5424Framer& framer, CloseFn on_close, OpenFn on_open)
    : loop_(loop),
      framer_(framer),
      on_close_(std::move(on_close)),
      on_open_(std::move(on_open)),
      max_bytes_(limits.max_bytes),
      max_messages_(static_cast<uint32_t>(std::min<uint64_t>(limits.max_messages, UINT32_MAX))),
      linger_ms_(static_cast<uint64_t>(limits.linger.count())) {
  linger_timer_.init(this, [&](uv_timer_t* t) { return uv_timer_init(loop_.get(), t); });
}

Batcher::~Batcher() = default;

void Batcher::recycle(std::unique_ptr<Batch> batch) {
  if (spare_.size() >= kMaxSpare) return;
  batch->reset();
  // A batch that grew past its usual size for one huge frame gives the memory back.
  batch->bytes.shrinkTo(max_bytes_ + 64 * 1024);
  spare_.push_back(std::move(batch));
}

std::unique_ptr<Batch> Batcher::spare() {
  if (!spare_.empty()) {
    auto b = std::move(spare_.back());
    spare_.pop_back();
    return b;
  }
  auto b = std::make_unique<Batch>();
  b->bytes.reserve(std::min(max_bytes_ + 1024, std::max(kMinReserve, last_bytes_ + last_bytes_ / 8)));
  return b;
}

void Batcher::open() {
  open_ = spare();
  // linger 0 still waits for the end of the current loop turn, so one read's lines share a batch.
  uv_timer_start(linger_timer_.get(), &Batcher::onLinger, linger_ms_, 0);
  if (on_open_) on_open_(*open_);
}

void Batcher::close() {
  uv_timer_stop(linger_timer_.get());
  std::unique_ptr<Batch> batch = std::move(open_);
  last_bytes_ = batch->bytes.size();
  on_close_(std::move(batch));
}

void Batcher::onLinger(uv_timer_t* timer) noexcept {
  Batcher* self = ownerOf<Batcher>(timer);
  if (self != nullptr) self->flush();
}

}  // namespace sluice
