#pragma once
// The parts of a file path, as text (no file system access).
#include <string>
#include <string_view>

namespace sluice {

// What follows the last '/': the whole path when there is none, "" when it ends with one.
inline std::string_view baseName(std::string_view path) {
  size_t slash = path.rfind('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

// The directory that holds `path`'s entry, to open or list: "." for a bare name, "/" for an entry of the root.
inline std::string dirName(std::string_view path) {
  size_t slash = path.rfind('/');
  if (slash == std::string_view::npos) return ".";
  return slash == 0 ? "/" : std::string(path.substr(0, slash));
}

}  // namespace sluice
