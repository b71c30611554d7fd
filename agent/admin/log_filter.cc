#include "agent/admin/log_filter.h"

namespace sluice {

Result<LogFilter> LogFilter::parse(std::string_view text) {
  LogFilter f;
  f.text_ = std::string(text);
  if (text.find_first_of("|()[]{}*+?^$\\.") != std::string_view::npos) {
    try {
      f.regex_ = std::make_shared<const std::regex>(f.text_, std::regex::ECMAScript | std::regex::optimize);
    } catch (const std::regex_error& e) {
      return Error{"invalid filter '" + f.text_ + "': not a valid regular expression (" + e.what() + ")"};
    }
  }
  return f;
}

bool LogFilter::compute(std::string_view source, std::string_view type) const {
  if (source == text_ || type == text_) return true;
  // A container type: "web" covers web-1, web.2, web_3 and web/x, not webhook.
  if (source.size() > text_.size() && source.substr(0, text_.size()) == text_ &&
      std::string_view("-_.:/@").find(source[text_.size()]) != std::string_view::npos) {
    return true;
  }
  if (regex_) {
    try {
      std::string s(source), t(type);
      return std::regex_search(s, *regex_) || std::regex_search(t, *regex_);
    } catch (const std::regex_error&) {
      return false;  // a pathological expression (stack or complexity limit): it matches nothing
    }
  }
  return false;
}

bool LogFilter::matches(std::string_view source, std::string_view type) const {
  if (text_.empty()) return true;
  auto it = cache_.find(source);
  if (it != cache_.end()) return it->second;
  bool m = compute(source, type);
  if (cache_.size() > 10000) cache_.clear();
  cache_.emplace(std::string(source), m);
  return m;
}

}  // namespace sluice
