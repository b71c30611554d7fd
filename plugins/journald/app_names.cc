#include "plugins/journald/app_names.h"

#include "agent/pipeline/source.h"

namespace sluice::plugins::journald {

AppNames::AppNames(const SourceInfo& base, std::function<void(uint32_t)> forget, size_t capacity)
    : base_(base), forget_(std::move(forget)), capacity_(capacity > 0 ? capacity : 1) {}

const SourceInfo& AppNames::get(std::string_view app_name) {
  if (app_name.empty()) return base_;
  app_name = app_name.substr(0, kMaxAppName);
  if (last_ != nullptr && last_->app_name == app_name) return *last_;
  if (auto it = index_.find(app_name); it != index_.end()) {
    lru_.splice(lru_.begin(), lru_, it->second);
    last_ = &*it->second;
    return *last_;
  }
  if (index_.size() >= capacity_) {
    SourceInfo& oldest = lru_.back();
    index_.erase(oldest.app_name);
    const uint32_t id = oldest.id;
    lru_.pop_back();
    ++evictions_;
    if (forget_) forget_(id);
  }
  SourceInfo info;
  info.id = nextSourceId();
  info.name = base_.name;
  info.type = base_.type;
  info.app_name = std::string(app_name);
  lru_.push_front(std::move(info));
  index_.emplace(lru_.front().app_name, lru_.begin());
  last_ = &lru_.front();
  return *last_;
}

void AppNames::clear() {
  index_.clear();
  last_ = nullptr;
  for (const SourceInfo& info : lru_) {
    if (forget_) forget_(info.id);
  }
  lru_.clear();
}

}  // namespace sluice::plugins::journald
