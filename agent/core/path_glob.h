#pragma once
// What a list of globs matches, less what an exclude glob matches (against the path or its base name): the one
// expansion both the tail source and `sluice check` use. Blocking (glob(3), stat(2)).
#include <string>
#include <vector>

namespace sluice {

struct GlobMatches {
  std::vector<std::string> files;      // sorted, each once
  std::vector<std::string> unmatched;  // the patterns that matched nothing (not even an excluded path)
  std::vector<std::string> problems;   // "cannot expand PATTERN: a directory cannot be read"
};

// Every path the globs match now (of any type), less the excluded ones.
GlobMatches expandGlobs(const std::vector<std::string>& patterns, const std::vector<std::string>& excludes);

// The same, kept to regular files (symbolic links followed): what a tail source follows.
GlobMatches matchGlobs(const std::vector<std::string>& patterns, const std::vector<std::string>& excludes);

bool globExcluded(const std::string& path, const std::vector<std::string>& excludes);

// The directory part of a pattern when it has no wildcard and does not exist ("" otherwise): a typo or a missing
// volume, worth naming when nothing matches.
std::string missingGlobDirectory(const std::string& pattern);

}  // namespace sluice
