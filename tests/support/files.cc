#include "tests/support/files.h"

#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace sluice {
namespace {

std::string put(const std::string& path, std::string_view bytes, std::ios::openmode mode) {
  std::ofstream out(path, std::ios::binary | mode);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  out.close();
  if (!out) throw std::runtime_error("cannot write " + path);
  return path;
}

}  // namespace

std::string readFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string writeFile(const std::string& path, std::string_view bytes) { return put(path, bytes, std::ios::trunc); }

std::string appendFile(const std::string& path, std::string_view bytes) { return put(path, bytes, std::ios::app); }

bool writeAll(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

std::string readSource(const std::string& relative_path) {
  return readFile(std::string(SLUICE_SOURCE_DIR) + "/" + relative_path);
}

std::string cmakeProjectVersion() {
  const std::string cmake = readSource("CMakeLists.txt");
  const std::string key = "project(sluice VERSION ";
  size_t at = cmake.find(key);
  if (at == std::string::npos) throw std::runtime_error("CMakeLists.txt: no '" + key + "'");
  at += key.size();
  return cmake.substr(at, cmake.find_first_of(" )", at) - at);
}

}  // namespace sluice
