#include "agent/admin/recent_lines.h"

#include <algorithm>
#include <cstring>

namespace sluice {

RecentLines::RecentLines(size_t max_lines, size_t max_bytes)
    : entries_(std::max<size_t>(max_lines, 1)),
      arena_(std::max<size_t>(max_bytes, 4096)),
      max_kept_(std::min(kMaxKeptLine, arena_.size() / 4)) {}

uint32_t RecentLines::sourceIndex(const SourceInfo* source) {
  const uint32_t id = source != nullptr ? source->id : UINT32_MAX - 1;
  if (id == last_source_id_) return last_index_;
  auto it = by_source_id_.find(id);
  uint32_t index;
  if (it != by_source_id_.end()) {
    index = it->second;
  } else {
    // Sources that come and go (tail files) get new ids but usually the same names: names are shared.
    const LineSource s = lineSourceOf(source);
    std::string key;
    key.append(s.name).push_back('\0');
    key.append(s.type).push_back('\0');
    key.append(s.instance);
    auto named = by_name_.find(key);
    if (named != by_name_.end()) {
      index = named->second;
    } else {
      index = static_cast<uint32_t>(names_.size());
      names_.push_back(Name{std::string(s.name), std::string(s.type), std::string(s.instance)});
      by_name_.emplace(std::move(key), index);
    }
    if (by_source_id_.size() > 100000) by_source_id_.clear();  // ids of sources long gone
    by_source_id_.emplace(id, index);
  }
  last_source_id_ = id;
  last_index_ = index;
  return index;
}

void RecentLines::dropOldest() {
  head_ = head_ + 1 == entries_.size() ? 0 : head_ + 1;
  --count_;
}

void RecentLines::store(const Record& record) {
  const size_t cap = arena_.size();
  size_t len = record.message.size();
  if (len > max_kept_) len = max_kept_;
  if (count_ == entries_.size()) dropOldest();
  size_t at = write_;
  if (at + len > cap) {
    // Does not fit before the end: what is left of the previous lap there is dropped, and we start at 0.
    while (count_ > 0 && entries_[head_].offset >= at) dropOldest();
    at = 0;
  }
  // Lines of the previous lap that this one overwrites go (they are the oldest, in arena order).
  while (count_ > 0 && entries_[head_].offset >= at && entries_[head_].offset < at + len) dropOldest();
  if (len > 0) std::memcpy(arena_.data() + at, record.message.data(), len);
  size_t slot = head_ + count_;
  if (slot >= entries_.size()) slot -= entries_.size();
  Entry& e = entries_[slot];
  e.offset = at;
  e.length = static_cast<uint32_t>(len);
  e.source = record.source != nullptr && record.source->id == last_source_id_ ? last_index_ : sourceIndex(record.source);
  e.received_us = record.received_us;
  e.event_us = record.event_us;
  e.severity = static_cast<uint8_t>(record.severity);
  e.preformatted = record.preformatted;
  ++count_;
  write_ = at + len;
  ++next_seq_;
}

bool RecentLines::get(uint64_t seq, LogLine* out) const {
  if (seq < firstSeq() || seq >= next_seq_) return false;
  size_t slot = head_ + static_cast<size_t>(seq - firstSeq());
  if (slot >= entries_.size()) slot -= entries_.size();
  const Entry& e = entries_[slot];
  const Name& n = names_[e.source];
  out->seq = seq;
  out->received_us = e.received_us;
  out->event_us = e.event_us;
  out->source = n.name;
  out->type = n.type;
  out->instance = n.instance;
  out->severity = static_cast<Severity>(e.severity);
  out->preformatted = e.preformatted;
  out->message = std::string_view(arena_.data() + e.offset, e.length);
  return true;
}

}  // namespace sluice
