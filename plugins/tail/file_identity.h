#pragma once
// Which file is which: device and inode while it exists, and a fingerprint of its first bytes, so that an inode
// reused by a new file (after the old one was deleted) is not mistaken for the old one.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>

namespace sluice::plugins::tail {

struct FileKey {
  uint64_t dev = 0;
  uint64_t ino = 0;
  bool operator==(const FileKey&) const = default;
  bool operator<(const FileKey& o) const { return dev != o.dev ? dev < o.dev : ino < o.ino; }
};

struct FileKeyHash {
  size_t operator()(const FileKey& k) const { return std::hash<uint64_t>()(k.ino * 31 + k.dev); }
};
using FileKeySet = std::unordered_set<FileKey, FileKeyHash>;

// FNV-1a, 64 bits: fingerprints and the checkpoint file's checksum (not a security measure).
inline uint64_t fnv1a64(std::string_view bytes, uint64_t h = 1469598103934665603ULL) {
  for (unsigned char c : bytes) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  return h;
}

struct Fingerprint {
  static constexpr uint32_t kBytes = 256;
  uint32_t len = 0;      // bytes covered: kBytes, or fewer while the file was shorter
  uint64_t hash = fnv1a64({});
  bool operator==(const Fingerprint&) const = default;
};

// The fingerprint of the first min(kBytes, size) bytes of `fd` (pread: the file position is untouched), or of
// its first `len` bytes when `len` is given (to compare with a stored one). A short read gives a shorter one.
Fingerprint readFingerprint(int fd, uint32_t len = Fingerprint::kBytes);

// What Sluice needs to know of a file (statx: the birth time too, where the file system records it).
struct FileStat {
  FileKey key;
  uint64_t size = 0;
  uint64_t nlink = 0;
  bool regular = false;
  int64_t born_us = 0;     // birth time, or the change time where there is none
};

// stat(2) following symlinks; nullopt when the path does not lead to anything (errno says why).
std::optional<FileStat> statPath(const std::string& path);
std::optional<FileStat> statFd(int fd);

// Opens a file to tail, read-only. Without updating its access time where the kernel lets us (O_NOATIME: the
// file's owner, or root): a file being written has a newer mtime than atime, so under relatime every read of it
// would otherwise write its inode.
int openForTail(const std::string& path);

// Whether `fd` is on a local disk or in memory (ext4, xfs, btrfs, overlayfs, tmpfs, ...), whose page-cached bytes a
// pread returns in microseconds. Network and FUSE file systems can block a read for seconds: false for them, and
// for any type not known to be local.
bool onLocalFileSystem(int fd);

}  // namespace sluice::plugins::tail
