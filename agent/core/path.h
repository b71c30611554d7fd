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

// `name` (a source's name) as a file name that cannot collide with another's: letters, digits, '-', '_' and '.'
// (not first) are kept, any other byte becomes %XX.
inline std::string safeFileName(std::string_view name) {
  static const char kHex[] = "0123456789abcdef";
  std::string file;
  for (unsigned char c : name) {
    bool keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
                c == '_' || (c == '.' && !file.empty());
    if (keep) {
      file += static_cast<char>(c);
    } else {
      file += '%';
      file += kHex[c >> 4];
      file += kHex[c & 15];
    }
  }
  return file;
}

}  // namespace sluice
