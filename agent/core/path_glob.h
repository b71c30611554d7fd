#pragma once
// What a list of globs matches, less what an exclude glob matches (against the path or its base name): the one
// expansion both the tail source and `sluice check` use. Blocking (glob(3), stat(2)).
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sluice {

struct GlobMatches {
  std::vector<std::string> files;      // sorted, each once
  std::vector<std::string> unmatched;  // the patterns that matched nothing (not even an excluded path)
  std::vector<std::string> problems;   // "cannot expand PATTERN: a directory cannot be read"
};

// What a pattern whose directory has no wildcard matched when it was last expanded, and how that directory looked
// then: while its modification time stays what it was, no name in it came or went, and the listing is not read
// again (an idle agent's scan of 1,000 files every refresh_interval was mostly that readdir).
struct GlobCache {
  struct Listing {
    int64_t dir_mtime_ns = 0;
    std::vector<std::string> paths;
    int rc = 0;   // glob(3)'s
  };
  std::vector<std::pair<std::string, Listing>> patterns;   // by pattern
};

// Every path the globs match now (of any type), less the excluded ones. With `cache`, a pattern's directory is
// listed again only when it may have changed since (its mtime differs, or was within 2 s of the last listing:
// file systems keep it to a second or a few milliseconds).
GlobMatches expandGlobs(const std::vector<std::string>& patterns, const std::vector<std::string>& excludes,
                        GlobCache* cache = nullptr);

// The same, kept to regular files (symbolic links followed): what a tail source follows.
GlobMatches matchGlobs(const std::vector<std::string>& patterns, const std::vector<std::string>& excludes);

bool globExcluded(const std::string& path, const std::vector<std::string>& excludes);

// Whether a path has glob(3) syntax in it (GLOB_BRACE's braces and a backslash escape included).
bool globHasWildcard(std::string_view path);

// Whether `path` is one that `pattern` would expand to (fnmatch(3) as glob(3) matches: `*` stops at a `/`, a
// leading dot is matched only by a dot). A pattern with braces is never matched here: fnmatch has no braces.
bool globMatches(const std::string& pattern, const std::string& path);

// The directory part of a pattern when it has no wildcard and does not exist ("" otherwise): a typo or a missing
// volume, worth naming when nothing matches.
std::string missingGlobDirectory(const std::string& pattern);

}  // namespace sluice
