#include "agent/admin/log_filter.h"

#include <re2/re2.h>

namespace sluice {
namespace {

// RE2's own default is 8 MiB per expression; a filter over source names needs a small fraction of that, and a
// pattern that would need more is refused rather than allowed to take memory from the pipeline.
constexpr int64_t kMaxProgramBytes = 1 << 20;

}  // namespace

Result<LogFilter> LogFilter::parse(std::string_view text) {
  LogFilter f;
  if (text.size() > kMaxPatternBytes) {
    return Error{"invalid filter: " + std::to_string(text.size()) + " bytes long, at most " +
                 std::to_string(kMaxPatternBytes) + " are allowed"};
  }
  f.text_ = std::string(text);
  if (text.find_first_of("|()[]{}*+?^$\\.") != std::string_view::npos) {
    RE2::Options options;
    options.set_max_mem(kMaxProgramBytes);
    options.set_log_errors(false);
    auto re = std::make_shared<const RE2>(f.text_, options);
    if (!re->ok()) {
      return Error{"invalid filter '" + f.text_ + "': not a valid regular expression (" + re->error() + ")"};
    }
    f.regex_ = std::move(re);
  }
  return f;
}

bool LogFilter::matchesName(std::string_view name) const {
  if (name == text_) return true;
  // A container type: "web" covers web-1, web.2, web_3 and web/x, not webhook.
  if (name.size() > text_.size() && name.substr(0, text_.size()) == text_ &&
      std::string_view("-_.:/@").find(name[text_.size()]) != std::string_view::npos) {
    return true;
  }
  return regex_ && RE2::PartialMatch(re2::StringPiece(name.data(), name.size()), *regex_);
}

bool LogFilter::compute(std::string_view source, std::string_view type, std::string_view instance) const {
  if (type == text_ || matchesName(source) || (!instance.empty() && matchesName(instance))) return true;
  return regex_ && RE2::PartialMatch(re2::StringPiece(type.data(), type.size()), *regex_);
}

bool LogFilter::matches(std::string_view source, std::string_view type, std::string_view instance) const {
  if (text_.empty()) return true;
  const std::pair<std::string_view, std::string_view> key(source, instance);
  auto it = cache_.find(key);
  if (it != cache_.end()) return it->second;
  bool m = compute(source, type, instance);
  if (cache_.size() > 10000) cache_.clear();
  cache_.emplace(std::pair<std::string, std::string>(source, instance), m);
  return m;
}

}  // namespace sluice
