#pragma once
// A temporary directory for one test, removed with everything in it when the object goes.
#include <string>

namespace sluice {

class TempDir {
 public:
  // Created under $TMPDIR (or /tmp); `prefix` names it for whoever finds a leftover.
  explicit TempDir(const std::string& prefix = "sluice-test");
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

}  // namespace sluice
