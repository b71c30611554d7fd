#include "plugins/tail/file_identity.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cerrno>

namespace sluice::plugins::tail {

Fingerprint readFingerprint(int fd, uint32_t len) {
  char buf[Fingerprint::kBytes];
  if (len > Fingerprint::kBytes) len = Fingerprint::kBytes;
  size_t got = 0;
  while (got < len) {
    ssize_t n = pread(fd, buf + got, len - got, static_cast<off_t>(got));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    got += static_cast<size_t>(n);
  }
  Fingerprint fp;
  fp.len = static_cast<uint32_t>(got);
  fp.hash = fnv1a64(std::string_view(buf, got));
  return fp;
}

namespace {

std::optional<FileStat> fromStatx(const struct statx& s) {
  FileStat out;
  out.key = FileKey{makedev(s.stx_dev_major, s.stx_dev_minor), s.stx_ino};
  out.size = s.stx_size;
  out.nlink = s.stx_nlink;
  out.regular = S_ISREG(s.stx_mode);
  const struct statx_timestamp& t = (s.stx_mask & STATX_BTIME) != 0 && s.stx_btime.tv_sec != 0 ? s.stx_btime : s.stx_ctime;
  out.born_us = static_cast<int64_t>(t.tv_sec) * 1000000 + t.tv_nsec / 1000;
  return out;
}

}  // namespace

std::optional<FileStat> statPath(const std::string& path) {
  struct statx s;
  if (statx(AT_FDCWD, path.c_str(), AT_STATX_SYNC_AS_STAT, STATX_BASIC_STATS | STATX_BTIME, &s) != 0) {
    return std::nullopt;
  }
  return fromStatx(s);
}

std::optional<FileStat> statFd(int fd) {
  struct statx s;
  if (statx(fd, "", AT_EMPTY_PATH | AT_STATX_SYNC_AS_STAT, STATX_BASIC_STATS | STATX_BTIME, &s) != 0) {
    return std::nullopt;
  }
  return fromStatx(s);
}

int openForTail(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOATIME);
  if (fd < 0 && errno == EPERM) fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  return fd;
}

bool onLocalFileSystem(int fd) {
  struct statfs fs {};
  if (fstatfs(fd, &fs) != 0) return false;
  // The magic numbers of linux/magic.h (and zfs's own).
  switch (static_cast<uint64_t>(fs.f_type)) {
    case 0xEF53:       // ext2, ext3, ext4
    case 0x58465342:   // xfs
    case 0x9123683E:   // btrfs
    case 0xF2F52010:   // f2fs
    case 0x2FC12FC1:   // zfs
    case 0x794C7630:   // overlayfs (a container's own files)
    case 0x01021994:   // tmpfs
    case 0x858458F6:   // ramfs
      return true;
    default:
      return false;
  }
}

}  // namespace sluice::plugins::tail
