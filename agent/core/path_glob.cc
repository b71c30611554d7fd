#include "agent/core/path_glob.h"

#include <fnmatch.h>
#include <glob.h>
#include <sys/stat.h>

#include <set>

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

GlobMatches expandGlobs(const std::vector<std::string>& patterns, const std::vector<std::string>& excludes) {
  std::set<std::string> paths;
  GlobMatches out;
  for (const std::string& pattern : patterns) {
    glob_t g{};
    int rc = ::glob(pattern.c_str(), GLOB_NOSORT | GLOB_BRACE, nullptr, &g);
    if (rc == 0) {
      for (size_t i = 0; i < g.gl_pathc; ++i) paths.insert(g.gl_pathv[i]);
    } else {
      out.unmatched.push_back(pattern);
      if (rc != GLOB_NOMATCH) {
        out.problems.push_back("cannot expand " + pattern + ": " +
                               (rc == GLOB_ABORTED ? "a directory cannot be read" : "out of memory"));
      }
    }
    ::globfree(&g);
  }
  for (const std::string& path : paths) {
    if (!globExcluded(path, excludes)) out.files.push_back(path);
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
  if (dir.find_first_of("*?[{") != std::string::npos || ::stat(dir.c_str(), &st) == 0) return {};
  return dir;
}

}  // namespace sluice
