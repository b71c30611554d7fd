#pragma once
// The last `max_lines` received lines, bounded in bytes too: the ring behind GET /logs?n= and the live streams.
// add() is on the hot path (every routed line): one memcpy into a circular byte arena and one fixed-size entry,
// no allocation. Readers address lines by sequence number, so a live stream that falls behind learns exactly how
// many lines it missed.
#include <cstdint>
#include <deque>
#include <string>
#include <unordered_map>
#include <vector>

#include "agent/admin/log_line.h"
#include "agent/core/record.h"

namespace sluice {

class RecentLines {
 public:
  // Told (once until it calls clearSignal()) that lines were added: the live streams flush once per loop turn.
  class Listener {
   public:
    virtual ~Listener() = default;
    virtual void onLinesAdded() = 0;
  };

  // A line longer than this is kept cut to it (the line itself is forwarded whole; only the API's copy is cut).
  static constexpr size_t kMaxKeptLine = 64 * 1024;

  RecentLines(size_t max_lines, size_t max_bytes);

  void add(const Record& record) {
    store(record);
    if (listener_ != nullptr && !signalled_) {
      signalled_ = true;
      listener_->onLinesAdded();
    }
  }

  uint64_t firstSeq() const { return next_seq_ - count_; }   // the oldest line kept
  uint64_t nextSeq() const { return next_seq_; }            // the next line to come
  size_t size() const { return count_; }
  // The line `seq`, if it is still kept.
  bool get(uint64_t seq, LogLine* out) const;

  void setListener(Listener* listener) { listener_ = listener; }
  void clearSignal() { signalled_ = false; }

 private:
  struct Entry {
    uint64_t offset;
    uint32_t length;
    uint32_t source;     // index into names_
    int64_t received_us;
    int64_t event_us;
    uint8_t severity;
    bool preformatted;
  };
  struct Name {
    std::string name;
    std::string type;
    std::string instance;
  };

  void store(const Record& record);
  uint32_t sourceIndex(const SourceInfo* source);
  void dropOldest();

  std::vector<Entry> entries_;     // a ring of max_lines
  std::vector<char> arena_;        // a ring of max_bytes
  size_t head_ = 0;                // index of the oldest entry
  size_t count_ = 0;
  size_t max_kept_;
  size_t write_ = 0;               // where the next message goes in the arena
  uint64_t next_seq_ = 1;
  std::deque<Name> names_;         // stable addresses: LogLine views point into them
  std::unordered_map<uint32_t, uint32_t> by_source_id_;
  std::unordered_map<std::string, uint32_t> by_name_;
  uint32_t last_source_id_ = UINT32_MAX;
  uint32_t last_index_ = 0;
  Listener* listener_ = nullptr;
  bool signalled_ = false;
};

}  // namespace sluice
