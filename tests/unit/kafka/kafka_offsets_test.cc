// KafkaOffsets: a partition's commit offset moves only over acknowledged records, in order.
#include <catch2/catch.hpp>

#include "plugins/kafka/kafka_offsets.h"

using namespace sluice;
using namespace sluice::plugins::kafka;

namespace {

const TopicPartition kP0{"logs", 0};
const TopicPartition kP1{"logs", 1};

// Tags records [from, to) of `tp` in one turn; returns the chunk's entry with one sink reference held.
AckEntry* turn(KafkaOffsets& o, const TopicPartition& tp, int64_t from, int64_t to) {
  AckEntry* entry = nullptr;
  for (int64_t off = from; off < to; ++off) entry = o.tag(tp, off);
  entry->retain();  // a batch holds it
  o.closeTurn();
  return entry;
}

}  // namespace

TEST_CASE("kafka offsets: nothing is due before the sinks acknowledge", "[kafka]") {
  int notified = 0;
  KafkaOffsets o([&] { ++notified; });
  o.assign(kP0);
  AckEntry* a = turn(o, kP0, 0, 10);
  o.collect();
  CHECK(o.due().empty());
  CHECK(o.outstanding() == 1);
  CHECK(o.unresolvedRecords() == 10);
  a->release(true);
  CHECK(notified == 1);
  o.collect();
  auto due = o.due();
  REQUIRE(due.size() == 1);
  CHECK(due[0].partition == kP0);
  CHECK(due[0].offset == 10);  // the next record to consume
  o.markCommitted(due[0]);
  CHECK(o.due().empty());
  CHECK(o.outstanding() == 0);
}

TEST_CASE("kafka offsets: an acknowledgement out of order waits for the ones before it", "[kafka]") {
  KafkaOffsets o([] {});
  o.assign(kP0);
  AckEntry* first = turn(o, kP0, 0, 5);
  AckEntry* second = turn(o, kP0, 5, 8);
  second->release(true);
  o.collect();
  CHECK(o.due().empty());
  CHECK(o.acked(kP0) == -1);
  first->release(true);
  o.collect();
  CHECK(o.acked(kP0) == 8);
}

TEST_CASE("kafka offsets: a failed chunk stops its partition's offset, not the others'", "[kafka]") {
  KafkaOffsets o([] {});
  o.assign(kP0);
  o.assign(kP1);
  AckEntry* a = turn(o, kP0, 0, 3);
  AckEntry* b = turn(o, kP0, 3, 6);
  AckEntry* c = turn(o, kP1, 0, 4);
  a->release(true);
  b->release(false);  // abandoned at shutdown without a spool
  c->release(true);
  o.collect();
  CHECK(o.acked(kP0) == 3);
  CHECK(o.acked(kP1) == 4);
  AckEntry* d = turn(o, kP0, 6, 9);
  d->release(true);
  o.collect();
  CHECK(o.acked(kP0) == 3);
}

TEST_CASE("kafka offsets: one turn's records of a partition share one chunk, per partition", "[kafka]") {
  KafkaOffsets o([] {});
  o.assign(kP0);
  o.assign(kP1);
  AckEntry* a0 = o.tag(kP0, 7);
  AckEntry* b0 = o.tag(kP1, 2);
  CHECK(o.tag(kP0, 8) == a0);
  CHECK(o.tag(kP1, 3) == b0);
  CHECK(a0 != b0);
  CHECK(o.tag({"other", 0}, 1) == nullptr);  // not assigned
  o.closeTurn();  // nothing else holds them: resolved at once
  o.collect();
  CHECK(o.acked(kP0) == 9);
  CHECK(o.acked(kP1) == 4);
}

TEST_CASE("kafka offsets: a record fetched again after the position is skipped and said so, a new assignment reads "
          "from anywhere", "[kafka]") {
  KafkaOffsets o([] {});
  o.assign(kP0);
  AckEntry* first = turn(o, kP0, 100, 200);
  first->release(true);
  bool refetched = false;
  CHECK(o.tag(kP0, 150, &refetched) == nullptr);
  CHECK(refetched);
  refetched = false;
  CHECK(o.tag(kP0, 200, &refetched) != nullptr);
  CHECK_FALSE(refetched);
  o.closeTurn();
  o.collect();
  CHECK(o.acked(kP0) == 201);
  // Revoked for good and assigned again (another member had it): the group's committed offset decides.
  o.revoke(kP0, false);
  o.assign(kP0);
  CHECK(o.tag(kP0, 120, &refetched) != nullptr);
  CHECK_FALSE(refetched);
  o.closeTurn();
}

TEST_CASE("kafka offsets: a revoked partition's acknowledgements are ignored, its entries kept until resolved",
          "[kafka]") {
  KafkaOffsets o([] {});
  o.assign(kP0);
  AckEntry* a = turn(o, kP0, 0, 10);
  AckEntry* b = turn(o, kP0, 10, 20);
  a->release(true);
  o.collect();
  auto due = o.due();
  REQUIRE(due.size() == 1);
  CHECK(due[0].offset == 10);
  o.revoke(kP0, false);
  CHECK(!o.assigned(kP0));
  CHECK(o.outstanding() == 1);  // b is still held by a batch: it must stay valid
  b->release(true);
  o.collect();
  CHECK(o.outstanding() == 0);
  CHECK(o.due().empty());
  o.assign(kP0);  // assigned again: starts from what the group committed
  CHECK(o.acked(kP0) == -1);
}

TEST_CASE("kafka offsets: due() can be limited to some partitions", "[kafka]") {
  KafkaOffsets o([] {});
  o.assign(kP0);
  o.assign(kP1);
  turn(o, kP0, 0, 2)->release(true);
  turn(o, kP1, 0, 3)->release(true);
  o.collect();
  std::vector<TopicPartition> only{kP1};
  auto due = o.due(&only);
  REQUIRE(due.size() == 1);
  CHECK(due[0].partition == kP1);
  CHECK(due[0].offset == 3);
}

TEST_CASE("kafka offsets: a partition an eager rebalance gives back keeps its pending chunks and its position",
          "[kafka]") {
  KafkaOffsets o([] {});
  o.assign(kP0);
  o.assign(kP1);
  AckEntry* a = turn(o, kP0, 0, 10);
  AckEntry* b = turn(o, kP1, 0, 5);
  o.revoke(kP0, true);
  o.revoke(kP1, true);
  CHECK(o.outstanding() == 2);
  CHECK(o.assign(kP0) == 10);  // read on from 10: nothing is read twice
  o.endRebalance();            // kP1 went elsewhere
  a->release(true);
  b->release(true);
  o.collect();
  CHECK(o.acked(kP0) == 10);
  CHECK(o.acked(kP1) == -1);
  CHECK(o.outstanding() == 0);
  CHECK(o.assign(kP1) == -1);  // later: from the group's committed offset
}
