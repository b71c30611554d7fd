#pragma once
// Which sources a sink takes (`inputs:`): names of configured sources or shell globs over them ("web-*"); none,
// or "*", takes every source.
#include <string>
#include <string_view>
#include <vector>

namespace sluice {

// Whether one `inputs:` entry names `source_name` (fnmatch(3) without flags: `*`, `?`, `[...]`).
bool inputMatches(std::string_view pattern, std::string_view source_name);

class SourceSelector {
 public:
  SourceSelector() = default;
  explicit SourceSelector(std::vector<std::string> patterns);

  bool takesAll() const { return patterns_.empty(); }
  bool takes(std::string_view source_name) const;

 private:
  std::vector<std::string> patterns_;   // empty: every source
};

}  // namespace sluice
