#include "agent/core/durable_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "agent/core/path.h"

namespace sluice {
namespace {

Error posixError(const std::string& what, const std::string& path, int err) {
  return Error{what + " " + path + ": " + std::strerror(err), -err};
}

}  // namespace

Status writeAll(int fd, std::string_view bytes, const std::string& path) {
  while (!bytes.empty()) {
    ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return posixError("cannot write", path, errno);
    }
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return {};
}

Status syncDirectory(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return posixError("cannot open directory", dir, errno);
  int rc = ::fsync(fd);
  int err = errno;
  ::close(fd);
  if (rc != 0) return posixError("cannot fsync directory", dir, err);
  return {};
}

Status writeFileDurably(const std::string& path, std::string_view bytes, const DurableWriteOptions& options) {
  const std::string tmp = path + std::string(options.tmp_suffix);
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, options.mode);
  if (fd < 0) return posixError("cannot create", tmp, errno);
  Status st = writeAll(fd, bytes, tmp);
  if (st && ::fsync(fd) != 0) st = posixError("cannot fsync", tmp, errno);
  // close() reports a late write error on some file systems (NFS): the temp file is then not trusted either.
  if (::close(fd) != 0 && st) st = posixError("cannot close", tmp, errno);
  if (st && ::rename(tmp.c_str(), path.c_str()) != 0) st = posixError("cannot rename " + tmp + " to", path, errno);
  if (!st) {
    ::unlink(tmp.c_str());
    return st;
  }
  return syncDirectory(dirName(path));
}

Status makeDirs(const std::string& path) {
  if (path.empty()) return {};
  size_t pos = 0;
  while (pos != std::string::npos) {
    pos = path.find('/', pos + 1);
    std::string part = path.substr(0, pos);
    if (::mkdir(part.c_str(), 0750) != 0 && errno != EEXIST) {
      return makeError("cannot create " + part + ": " + std::strerror(errno), -errno);
    }
  }
  struct stat st;
  if (::stat(path.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) return makeError(path + " is not a directory");
  return {};
}

}  // namespace sluice
