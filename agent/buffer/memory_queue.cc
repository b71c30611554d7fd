#include "agent/buffer/memory_queue.h"

#include <algorithm>

namespace sluice {

void MemoryQueue::push(std::unique_ptr<Batch> batch, bool ordered) {
  bytes_ += batch->bytes.size();
  events_ += batch->count;
  if (ordered && !batches_.empty() && batches_.back()->seq > batch->seq) {
    auto at = std::find_if(batches_.begin(), batches_.end(), [&](const auto& b) { return b->seq > batch->seq; });
    batches_.insert(at, std::move(batch));
    return;
  }
  batches_.push_back(std::move(batch));
}

std::unique_ptr<Batch> MemoryQueue::pop() {
  std::unique_ptr<Batch> b = std::move(batches_.front());
  batches_.pop_front();
  bytes_ -= b->bytes.size();
  events_ -= b->count;
  return b;
}

bool MemoryQueue::admit(WhenFull policy, uint64_t size, uint64_t held_elsewhere, uint64_t limit,
                        const std::function<void(std::unique_ptr<Batch>)>& dropped) {
  auto fits = [&] { return held_elsewhere + bytes_ + size <= limit; };
  switch (policy) {
    case WhenFull::Block:
      return true;
    case WhenFull::DropNewest:
      return fits();
    case WhenFull::DropOldest:
      while (!fits() && !batches_.empty()) dropped(pop());
      return fits();  // else all of it is in flight
  }
  return fits();
}

}  // namespace sluice
