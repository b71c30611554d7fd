#pragma once
// The `filter` of GET /logs (shared/seeds/001): a source name ("web-1"), a source type or name prefix ("web"
// matches web-1 and web-2, and every exec source), or a regular expression ("web|worker") searched in the name
// and the type. Results are cached per source: a filter costs a lookup per line, not a regex run.
#include <map>
#include <memory>
#include <regex>
#include <string>
#include <string_view>

#include "agent/core/result.h"

namespace sluice {

class LogFilter {
 public:
  LogFilter() = default;  // matches everything
  // An invalid regular expression is an error that says why.
  static Result<LogFilter> parse(std::string_view text);

  bool matchesAll() const { return text_.empty(); }
  bool matches(std::string_view source, std::string_view type) const;
  const std::string& text() const { return text_; }

 private:
  bool compute(std::string_view source, std::string_view type) const;

  std::string text_;
  std::shared_ptr<const std::regex> regex_;
  mutable std::map<std::string, bool, std::less<>> cache_;   // by source name (a name has one type)
};

}  // namespace sluice
