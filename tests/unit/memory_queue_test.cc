// The memory part of a sink's buffer: byte and event counts, ordered pushes, and the three when_full policies.
#include <catch2/catch.hpp>

#include <vector>

#include "agent/buffer/memory_queue.h"

using namespace sluice;

namespace {

std::unique_ptr<Batch> batchOf(uint64_t seq, size_t bytes, uint32_t count = 1) {
  auto b = std::make_unique<Batch>();
  b->seq = seq;
  b->count = count;
  b->bytes.append(std::string(bytes, 'x'));
  return b;
}

}  // namespace

TEST_CASE("a memory queue counts bytes and events and keeps sequence order when asked", "[buffer]") {
  MemoryQueue q;
  q.push(batchOf(1, 100, 2));
  q.push(batchOf(3, 50, 1));
  q.push(batchOf(2, 10, 4), true);  // read back from the spool: older than the last one queued
  CHECK(q.bytes() == 160);
  CHECK(q.events() == 7);
  std::vector<uint64_t> order;
  while (!q.empty()) order.push_back(q.pop()->seq);
  CHECK(order == std::vector<uint64_t>{1, 2, 3});
  CHECK(q.bytes() == 0);
  CHECK(q.events() == 0);
}

TEST_CASE("when_full decides what a full memory queue does with the next batch", "[buffer]") {
  MemoryQueue q;
  q.push(batchOf(1, 400));
  q.push(batchOf(2, 400));
  std::vector<uint64_t> dropped;
  auto drop = [&](std::unique_ptr<Batch> b) { dropped.push_back(b->seq); };
  // 800 queued + 100 elsewhere + 300 new > 1,000.
  CHECK(q.admit(WhenFull::Block, 300, 100, 1000, drop));
  CHECK(dropped.empty());
  CHECK_FALSE(q.admit(WhenFull::DropNewest, 300, 100, 1000, drop));
  CHECK(dropped.empty());
  CHECK(q.admit(WhenFull::DropNewest, 100, 100, 1000, drop));   // it fits
  CHECK(q.admit(WhenFull::DropOldest, 300, 100, 1000, drop));
  CHECK(dropped == std::vector<uint64_t>{1});
  CHECK(q.bytes() == 400);
  // Nothing queued to drop and still too big (the rest is in flight): refused.
  CHECK_FALSE(q.admit(WhenFull::DropOldest, 1000, 500, 1000, drop));
  CHECK(dropped == std::vector<uint64_t>{1, 2});
  CHECK(q.empty());
}
