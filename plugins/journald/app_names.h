#pragma once
// The SourceInfo of each APP-NAME a journald source has seen (SYSLOG_IDENTIFIER, else _COMM): the framers cache a
// message header per SourceInfo id, so an identifier gets one id for as long as it stays here. Bounded: when full,
// the identifier used least recently goes, and `forget(id)` tells the router so that the framers drop its header.
#include <cstdint>
#include <functional>
#include <list>
#include <string>
#include <string_view>
#include <unordered_map>

#include "agent/core/record.h"

namespace sluice::plugins::journald {

class AppNames {
 public:
  static constexpr size_t kDefaultCapacity = 512;
  // Longer identifiers are cut (APP-NAME holds 48 bytes; templates may show more).
  static constexpr size_t kMaxAppName = 255;

  // `base` is the source's own SourceInfo (its name and type), returned for an empty identifier.
  AppNames(const SourceInfo& base, std::function<void(uint32_t id)> forget, size_t capacity = kDefaultCapacity);
  AppNames(const AppNames&) = delete;
  AppNames& operator=(const AppNames&) = delete;

  // The SourceInfo whose app_name is `app_name` ("": the base). Stable until it is evicted.
  const SourceInfo& get(std::string_view app_name);
  size_t size() const { return index_.size(); }
  uint64_t evictions() const { return evictions_; }
  // Forgets every identifier (the source stops): each id is handed to `forget`.
  void clear();

 private:
  const SourceInfo& base_;
  std::function<void(uint32_t)> forget_;
  size_t capacity_;
  std::list<SourceInfo> lru_;   // most recently used first; nodes never move in memory
  std::unordered_map<std::string_view, std::list<SourceInfo>::iterator> index_;   // keys view lru_'s app_name
  const SourceInfo* last_ = nullptr;   // consecutive entries of one program: no lookup
  uint64_t evictions_ = 0;
};

}  // namespace sluice::plugins::journald
