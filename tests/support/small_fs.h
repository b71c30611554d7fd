#pragma once
// A small filesystem for disk-full tests: a tmpfs of a given size mounted over a directory inside a private mount
// namespace, so that filling it touches nothing of the machine's and nothing leaks even if the test dies (the
// namespace, and the mount, end with their last process). Programs run inside it through nsenter; the test reads
// and writes its files from outside through /proc/<holder>/root. As root: unshare --mount; otherwise a user
// namespace as well (unshare --map-root-user), where mounting a tmpfs is allowed too.
#include <cstdint>
#include <memory>
#include <string>

#include "tests/support/agent_process.h"

namespace sluice {

class SmallFs {
 public:
  // Mounts a tmpfs of `bytes` over `mount_point` (an existing directory); `work_dir` receives the holder's
  // stdout/stderr. Check ok() before use.
  SmallFs(const std::string& mount_point, uint64_t bytes, const std::string& work_dir);
  ~SmallFs();
  SmallFs(const SmallFs&) = delete;
  SmallFs& operator=(const SmallFs&) = delete;

  bool ok() const { return ok_; }
  const std::string& why() const { return why_; }  // why it could not be made

  // The same process options, started inside the namespace (nsenter runs `o.binary` there, without a fork, so
  // the process's pid is the program's own).
  AgentProcess::Options inside(AgentProcess::Options o) const;
  // Where `path` (a path inside the namespace) is seen from the test.
  std::string outside(const std::string& path) const;
  uint64_t freeBytes() const;
  uint64_t usedBytes() const;
  // Fills the filesystem with `name` (in the mount point) until fewer than `leave` bytes are free.
  bool fill(const std::string& name, uint64_t leave = 0) const;

 private:
  std::string mount_point_;
  std::unique_ptr<AgentProcess> holder_;
  bool ok_ = false;
  bool user_ns_ = false;
  std::string why_;
};

}  // namespace sluice
