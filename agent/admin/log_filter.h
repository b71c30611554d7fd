#pragma once
// The `filter` of GET /logs (shared/seeds/001): a source name ("web-1"), a source type or name prefix ("web"
// matches web-1 and web-2, and every exec source), or a regular expression ("web|worker") searched in the name
// and the type. Results are cached per source: a filter costs a lookup per line, not a regex run.
//
// The pattern comes from whoever can reach the API, so it is compiled by RE2 (linear time, no recursion, a memory
// budget), never std::regex, whose recursive matcher a pattern of nested groups drives off the stack.
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "agent/core/result.h"

namespace re2 {
class RE2;
}

namespace sluice {

class LogFilter {
 public:
  // Longer filters are refused: a source name or an alternation of a few is far shorter.
  static constexpr size_t kMaxPatternBytes = 1024;

  LogFilter() = default;  // matches everything
  // An invalid or too long regular expression is an error that says why.
  static Result<LogFilter> parse(std::string_view text);

  bool matchesAll() const { return text_.empty(); }
  bool matches(std::string_view source, std::string_view type) const;
  const std::string& text() const { return text_; }

 private:
  bool compute(std::string_view source, std::string_view type) const;

  std::string text_;
  std::shared_ptr<const re2::RE2> regex_;
  mutable std::map<std::string, bool, std::less<>> cache_;   // by source name (a name has one type)
};

}  // namespace sluice
