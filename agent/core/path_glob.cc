#include "agent/core/path_glob.h"

#include <fnmatch.h>
#include <glob.h>
#include <sys/stat.h>

#include <time.h>

#include <algorithm>

#include "agent/core/path.h"

namespace sluice {

bool globExcluded(const std::string& path, const std::vector<std::string>& excludes) {
  if (excludes.empty()) return false;
  const std::string base(baseName(path));
  for (const std::string& ex : excludes) {
    if (::fnmatch(ex.c_str(), path.c_str(), 0) == 0 || ::fnmatch(ex.c_str(), base.c_str(), 0) == 0) return true;
  }
  return false;
}

bool globHasWildcard(std::string_view path) { return path.find_first_of("*?[{\\") != std::string_view::npos; }

bool globMatches(const std::string& pattern, const std::string& path) {
  return pattern.find('{') == std::string::npos && ::fnmatch(pattern.c_str(), path.c_str(), FNM_PATHNAME | FNM_PERIOD) == 0;
}

namespace {

int64_t nanos(const timespec& t) { return static_cast<int64_t>(t.tv_sec) * 1000000000 + t.tv_nsec; }

// glob(3) of one pattern: its rc, its paths added to `into`.
int globOne(const std::string& pattern, std::vector<std::string>& into) {
  glob_t g{};
  const int rc = ::glob(pattern.c_str(), GLOB_NOSORT | GLOB_BRACE, nullptr, &g);
  if (rc == 0) into.insert(into.end(), g.gl_pathv, g.gl_pathv + g.gl_pathc);
  ::globfree(&g);
  return rc;
}

// The pattern's listing, from the cache while its directory is unchanged.
int listPattern(const std::string& pattern, GlobCache* cache, std::vector<std::string>& into) {
  const std::string dir = dirName(pattern);
  struct stat st {};
  if (cache == nullptr || globHasWildcard(dir) || ::stat(dir.c_str(), &st) != 0) {
    return globOne(pattern, into);
  }
  auto it = std::find_if(cache->patterns.begin(), cache->patterns.end(), [&](const auto& p) { return p.first == pattern; });
  if (it == cache->patterns.end()) it = cache->patterns.insert(cache->patterns.end(), {pattern, {}});
  GlobCache::Listing& l = it->second;
  const int64_t mtime = nanos(st.st_mtim);
  if (mtime != l.dir_mtime_ns) {
    timespec now{};
    ::clock_gettime(CLOCK_REALTIME, &now);
    l.paths.clear();
    l.rc = globOne(pattern, l.paths);
    // Changed within 2 s of this listing: a change right after it could leave the same mtime. Listed again next time.
    l.dir_mtime_ns = nanos(now) - mtime > 2'000'000'000 ? mtime : 0;
  }
  into.insert(into.end(), l.paths.begin(), l.paths.end());
  return l.rc;
}

}  // namespace

GlobMatches expandGlobs(const std::vector<std::string>& patterns, const std::vector<std::string>& excludes,
                        GlobCache* cache) {
  std::vector<std::string> paths;
  GlobMatches out;
  for (const std::string& pattern : patterns) {
    const int rc = listPattern(pattern, cache, paths);
    if (rc != 0) {
      out.unmatched.push_back(pattern);
      if (rc != GLOB_NOMATCH) {
        out.problems.push_back("cannot expand " + pattern + ": " +
                               (rc == GLOB_ABORTED ? "a directory cannot be read" : "out of memory"));
      }
    }
  }
  std::sort(paths.begin(), paths.end());
  paths.erase(std::unique(paths.begin(), paths.end()), paths.end());
  for (std::string& path : paths) {
    if (!globExcluded(path, excludes)) out.files.push_back(std::move(path));
  }
  return out;
}

GlobMatches matchGlobs(const std::vector<std::string>& patterns, const std::vector<std::string>& excludes) {
  GlobMatches out = expandGlobs(patterns, excludes);
  std::erase_if(out.files, [](const std::string& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode);
  });
  return out;
}

std::string missingGlobDirectory(const std::string& pattern) {
  const std::string dir = dirName(pattern);
  struct stat st {};
  if (globHasWildcard(dir) || ::stat(dir.c_str(), &st) == 0) return {};
  return dir;
}

}  // namespace sluice
