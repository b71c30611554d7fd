#pragma once
// The regular files that a list of globs matches now, less those an exclude glob matches (against the path or its
// base name): what a tail source follows, for `sluice check --show`. Blocking (glob(3), stat(2)).
#include <string>
#include <vector>

namespace sluice {

struct GlobMatches {
  std::vector<std::string> files;     // sorted, each once; symbolic links followed to regular files
  std::vector<std::string> problems;  // "cannot expand PATTERN: a directory cannot be read"
};

GlobMatches matchGlobs(const std::vector<std::string>& patterns, const std::vector<std::string>& excludes);

}  // namespace sluice
