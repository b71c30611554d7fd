#include "agent/buffer/spool_io.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cinttypes>
#include <climits>
#include <cstring>
#include <random>

namespace sluice {

Error posixError(const std::string& what, const std::string& path, int err) {
  return Error{what + " " + path + ": " + std::strerror(err), -err};
}

bool isNoSpace(const Error& e) { return e.code == -ENOSPC || e.code == -EDQUOT; }

Result<std::string> readWholeFile(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return posixError("cannot open", path, errno);
  std::string out;
  struct stat st {};
  if (::fstat(fd, &st) == 0 && st.st_size > 0) out.reserve(static_cast<size_t>(st.st_size));
  char buf[1 << 16];
  ssize_t n;
  while ((n = ::read(fd, buf, sizeof buf)) != 0) {
    if (n < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      ::close(fd);
      return posixError("cannot read", path, err);
    }
    out.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return out;
}

Status pwriteAll(int fd, std::vector<struct iovec>& iov, uint64_t offset, const std::string& path,
                 uint64_t* written) {
  const uint64_t start = offset;
  if (written != nullptr) *written = 0;
  size_t first = 0;
  while (first < iov.size()) {
    int count = static_cast<int>(std::min<size_t>(iov.size() - first, IOV_MAX));
    ssize_t n = ::pwritev(fd, iov.data() + first, count, static_cast<off_t>(offset));
    if (n < 0) {
      if (errno == EINTR) continue;
      return posixError("cannot write", path, errno);
    }
    offset += static_cast<uint64_t>(n);
    if (written != nullptr) *written = offset - start;
    auto left = static_cast<size_t>(n);
    while (first < iov.size() && left >= iov[first].iov_len) {
      left -= iov[first].iov_len;
      ++first;
    }
    if (left > 0) {
      iov[first].iov_base = static_cast<char*>(iov[first].iov_base) + left;
      iov[first].iov_len -= left;
    }
  }
  return {};
}

bool freeBytes(const std::string& dir, uint64_t* out) {
  struct statvfs st {};
  if (::statvfs(dir.c_str(), &st) != 0) return false;
  *out = static_cast<uint64_t>(st.f_bavail) * st.f_frsize;
  return true;
}

std::string randomSpoolId() {
  std::random_device rd;
  uint64_t v = (static_cast<uint64_t>(rd()) << 32) ^ rd();
  char buf[17];
  snprintf(buf, sizeof buf, "%016" PRIx64, v);
  return buf;
}

}  // namespace sluice
