#include "plugins/kafka/kafka_offsets.h"

#include <algorithm>

namespace sluice::plugins::kafka {

int64_t KafkaOffsets::assign(const TopicPartition& tp) {
  auto parked = parked_.find(tp);
  if (parked == parked_.end()) {
    partitions_.try_emplace(tp);
    return -1;
  }
  // Nobody else read it in between: what is pending stays pending, and reading goes on where it was.
  Partition& p = partitions_.insert_or_assign(tp, std::move(parked->second)).first->second;
  parked_.erase(parked);
  return p.position;
}

void KafkaOffsets::orphan(Partition& p) {
  for (auto& chunk : p.chunks) {
    if (!chunk->entry.complete()) orphans_.push_back(std::move(chunk));
  }
  p.chunks.clear();
}

void KafkaOffsets::endRebalance() {
  for (auto& [tp, p] : parked_) orphan(p);
  parked_.clear();
}

void KafkaOffsets::revoke(const TopicPartition& tp, bool park) {
  auto it = partitions_.find(tp);
  if (it == partitions_.end()) return;
  // This turn's chunk of it (a rebalance in the middle of a turn) gets its own reference back first.
  for (auto t = turn_.begin(); t != turn_.end();) {
    if (t->first == tp) {
      t->second->entry.release(true);
      t = turn_.erase(t);
    } else {
      ++t;
    }
  }
  if (park) {
    parked_.insert_or_assign(tp, std::move(it->second));
  } else {
    orphan(it->second);
  }
  partitions_.erase(it);
}

std::unique_ptr<KafkaOffsets::Chunk> KafkaOffsets::newChunk() {
  auto chunk = std::make_unique<Chunk>();
  chunk->entry.open([this](AckEntry&, bool) noexcept {
    if (notify_) notify_();
  });
  return chunk;
}

AckEntry* KafkaOffsets::tag(const TopicPartition& tp, int64_t offset, bool* refetched) {
  auto it = partitions_.find(tp);
  if (it == partitions_.end()) return nullptr;
  // Offsets only grow within an assignment; librdkafka 2.0 may fetch from an older position after a pause and a
  // resume (its issues #4637 and #4686).
  if (offset < it->second.position) {
    if (refetched != nullptr) *refetched = true;
    return nullptr;
  }
  Chunk* chunk = nullptr;
  for (auto& [p, c] : turn_) {
    if (p == tp) chunk = c;
  }
  if (chunk == nullptr) {
    it->second.chunks.push_back(newChunk());
    chunk = it->second.chunks.back().get();
    turn_.emplace_back(tp, chunk);
  }
  chunk->next = std::max(chunk->next, offset + 1);
  it->second.position = std::max(it->second.position, offset + 1);
  ++chunk->records;
  return &chunk->entry;
}

void KafkaOffsets::closeTurn() {
  // Moved out first: a release may complete the chunk, whose callback only notifies.
  std::vector<std::pair<TopicPartition, Chunk*>> turn;
  turn.swap(turn_);
  for (auto& [tp, chunk] : turn) chunk->entry.release(true);
}

void KafkaOffsets::collect() {
  for (auto& [tp, p] : partitions_) {
    while (!p.chunks.empty() && p.chunks.front()->entry.complete()) {
      const Chunk& front = *p.chunks.front();
      if (!front.entry.ok()) p.blocked = true;
      if (!p.blocked) p.acked = std::max(p.acked, front.next);
      p.chunks.pop_front();
    }
  }
  std::erase_if(orphans_, [](const std::unique_ptr<Chunk>& c) { return c->entry.complete(); });
}

std::vector<KafkaOffsets::Commit> KafkaOffsets::due(const std::vector<TopicPartition>* only) const {
  std::vector<Commit> out;
  for (const auto& [tp, p] : partitions_) {
    if (only != nullptr && std::find(only->begin(), only->end(), tp) == only->end()) continue;
    if (p.acked > p.committed) out.push_back({tp, p.acked});
  }
  return out;
}

void KafkaOffsets::markCommitted(const Commit& commit) {
  auto it = partitions_.find(commit.partition);
  if (it != partitions_.end()) it->second.committed = std::max(it->second.committed, commit.offset);
}

int64_t KafkaOffsets::acked(const TopicPartition& tp) const {
  auto it = partitions_.find(tp);
  return it == partitions_.end() ? -1 : it->second.acked;
}

size_t KafkaOffsets::outstanding() const {
  size_t n = 0;
  for (const auto& [tp, p] : partitions_) {
    for (const auto& c : p.chunks) n += c->entry.complete() ? 0 : 1;
  }
  for (const auto& [tp, p] : parked_) {
    for (const auto& c : p.chunks) n += c->entry.complete() ? 0 : 1;
  }
  for (const auto& c : orphans_) n += c->entry.complete() ? 0 : 1;
  return n;
}

uint64_t KafkaOffsets::unresolvedRecords() const {
  uint64_t n = 0;
  for (const auto& [tp, p] : partitions_) {
    for (const auto& c : p.chunks) n += c->entry.complete() ? 0 : c->records;
  }
  return n;
}

}  // namespace sluice::plugins::kafka
