#include "agent/core/path_glob.h"

#include <fnmatch.h>
#include <glob.h>
#include <sys/stat.h>

#include <set>

#include "agent/core/path.h"

namespace sluice {

GlobMatches matchGlobs(const std::vector<std::string>& patterns, const std::vector<std::string>& excludes) {
  std::set<std::string> paths;
  GlobMatches out;
  for (const std::string& pattern : patterns) {
    glob_t g{};
    int rc = ::glob(pattern.c_str(), GLOB_NOSORT | GLOB_BRACE, nullptr, &g);
    if (rc == 0) {
      for (size_t i = 0; i < g.gl_pathc; ++i) paths.insert(g.gl_pathv[i]);
    } else if (rc != GLOB_NOMATCH) {
      out.problems.push_back("cannot expand " + pattern + ": " +
                             (rc == GLOB_ABORTED ? "a directory cannot be read" : "out of memory"));
    }
    ::globfree(&g);
  }
  for (const std::string& path : paths) {
    const std::string base(baseName(path));
    bool excluded = false;
    for (const std::string& ex : excludes) {
      excluded = excluded || ::fnmatch(ex.c_str(), path.c_str(), 0) == 0 || ::fnmatch(ex.c_str(), base.c_str(), 0) == 0;
    }
    struct stat st {};
    if (!excluded && ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode)) out.files.push_back(path);
  }
  return out;
}

}  // namespace sluice
