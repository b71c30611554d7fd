#pragma once
// Which offsets the kafka source may commit: per partition, only up to the last record whose line every sink has
// delivered or durably spooled (house rule 3). Records are tagged, a loop turn's records of one partition at a
// time, with one AckEntry (a chunk); chunks complete in any order, and a partition's commit offset moves over
// the run of completed chunks at its front, so an acknowledgement out of order waits for the ones before it.
// A chunk that failed (abandoned at shutdown, no spool) stops its partition's offset for good: what follows is
// consumed again by the next owner. Pure bookkeeping, no librdkafka: unit-tested on its own.
//
// Entries are never freed inside their own callback: completion only sets a flag and calls `notify`; collect()
// (on a later turn) moves the offsets and frees what is done. A revoked partition's chunks are kept, ignored,
// until the sinks resolve them (batches hold pointers to their entries).
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "agent/core/ack.h"

namespace sluice::plugins::kafka {

using TopicPartition = std::pair<std::string, int32_t>;

class KafkaOffsets {
 public:
  struct Commit {
    TopicPartition partition;
    int64_t offset = 0;   // the next record to consume (Kafka's committed offset)
  };

  explicit KafkaOffsets(std::function<void()> notify) : notify_(std::move(notify)) {}
  KafkaOffsets(const KafkaOffsets&) = delete;
  KafkaOffsets& operator=(const KafkaOffsets&) = delete;

  // The partition is ours now (nothing to commit until its first chunk completes). When it was parked by the
  // revoke just before (an eager rebalance gives every member its partitions back), its state comes back and the
  // result is where to go on reading (one past the last record read); else -1 (from the group's committed offset).
  int64_t assign(const TopicPartition& tp);
  // The partition is given up: its pending chunks are forgotten (their acknowledgements ignored). With `park`, only
  // once the rebalance ends without giving it back (endRebalance).
  void revoke(const TopicPartition& tp, bool park);
  // Parked partitions that were not assigned again are forgotten.
  void endRebalance();
  bool assigned(const TopicPartition& tp) const { return partitions_.count(tp) > 0; }

  // The open chunk of this turn for the partition's record at `offset` (opened on first use); the record is
  // tagged with it. nullptr for a partition not assigned, and for a record before the partition's position: read
  // already since it was assigned, fetched again by librdkafka (`*refetched` says so; it is not routed twice).
  AckEntry* tag(const TopicPartition& tp, int64_t offset, bool* refetched = nullptr);
  // Releases the source's own reference on every chunk opened this turn (its records are routed).
  void closeTurn();

  // Frees completed chunks and moves commit offsets. Call on a turn of its own (never inside an ack callback).
  void collect();
  // The offsets acknowledged beyond what was committed (of `only`, when given); `markCommitted` says they went.
  std::vector<Commit> due(const std::vector<TopicPartition>* only = nullptr) const;
  void markCommitted(const Commit& commit);
  // The offset up to which everything is acknowledged (-1: nothing yet).
  int64_t acked(const TopicPartition& tp) const;

  // Chunks not yet resolved by the sinks, revoked partitions' included.
  size_t outstanding() const;
  // Records read into chunks that are not resolved yet (the window consumed again after a crash).
  uint64_t unresolvedRecords() const;

 private:
  struct Chunk {
    AckEntry entry;
    int64_t next = 0;       // one past its last record's offset
    uint64_t records = 0;
  };
  struct Partition {
    std::deque<std::unique_ptr<Chunk>> chunks;
    int64_t acked = -1;      // next offset after the acknowledged run
    int64_t committed = -1;
    bool blocked = false;    // a chunk failed: the offset stays before it
    int64_t position = -1;   // one past the last record read
  };

  void orphan(Partition& p);

  std::unique_ptr<Chunk> newChunk();

  std::function<void()> notify_;
  std::map<TopicPartition, Partition> partitions_;
  std::map<TopicPartition, Partition> parked_;             // revoked, perhaps assigned again at once
  std::vector<std::unique_ptr<Chunk>> orphans_;            // of revoked partitions
  std::vector<std::pair<TopicPartition, Chunk*>> turn_;    // opened this turn
};

}  // namespace sluice::plugins::kafka
