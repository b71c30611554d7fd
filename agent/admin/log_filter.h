#pragma once
// The `filter` of GET /logs (shared/seeds/001): a source name ("web-1"), a source type or name prefix ("web"
// matches web-1 and web-2, and every exec source), or a regular expression ("web|worker") searched in the name
// and the type. The instance of a line (a tail source's file: "access.log", "<pod>/<container>") is matched as a
// name is, so `nginx` (the configured source) and `access.log` (one of its files) both find a tail source's lines.
// Results are cached per source and instance: a filter costs a lookup per line, not a regex run.
//
// The pattern comes from whoever can reach the API, so it is compiled by RE2 (linear time, no recursion, a memory
// budget), never std::regex, whose recursive matcher a pattern of nested groups drives off the stack.
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include "agent/admin/log_line.h"
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
  bool matches(std::string_view source, std::string_view type, std::string_view instance = {}) const;
  bool matches(const LogLine& line) const { return matches(line.source, line.type, line.instance); }
  const std::string& text() const { return text_; }

 private:
  // Orders (name, instance) pairs of strings and of views alike: a lookup builds no string.
  struct KeyLess {
    using is_transparent = void;
    template <class A, class B>
    bool operator()(const A& a, const B& b) const {
      return std::pair<std::string_view, std::string_view>(a.first, a.second) <
             std::pair<std::string_view, std::string_view>(b.first, b.second);
    }
  };

  bool compute(std::string_view source, std::string_view type, std::string_view instance) const;
  bool matchesName(std::string_view name) const;

  std::string text_;
  std::shared_ptr<const re2::RE2> regex_;
  // By source name and instance (a name has one type).
  mutable std::map<std::pair<std::string, std::string>, bool, KeyLess> cache_;
};

}  // namespace sluice
