// TailedFile: closing a file's descriptor while it is idle, and finding the file again by its identity.
#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include "agent/core/path.h"
#include "agent/core/units.h"
#include "plugins/tail/tailed_file.h"

namespace sluice::plugins::tail {
namespace {

// A file still being written faster than it is read gives its descriptor up after this many reads (1 MiB) when
// another file needs one: round robin, so that every file is read when files outnumber descriptors.
constexpr uint64_t kReadsBeforeClose = 8;

}  // namespace

bool TailedFile::waitingForPredecessor() const {
  if (predecessor == nullptr) return false;
  // Still active while a read of it is in flight: whether it was rotated is looked at when that read ends.
  if (predecessor->state() == State::Active) return predecessor->reading();
  return predecessor->state() == State::Draining && !predecessor->drainedOnce();
}

// A file waiting for the rotated file before it can be closed too: else files waiting for their predecessors could
// hold every descriptor while the predecessors wait for one.
bool TailedFile::closable() const {
  return fd_ >= 0 && !reading_ && inflight_ == nullptr && state_ == State::Active &&
         (at_eof_ || reads_since_open_ >= kReadsBeforeClose || waitingForPredecessor());
}

void TailedFile::closeFd() {
  if (fd_ < 0 || reading_) return;
  ::close(fd_);
  fd_ = -1;
  if (ctx_.fd_closed) ctx_.fd_closed(*this);
}

// A descriptor to the same file at `path`: the same device and inode. Its first bytes are compared by the caller.
int TailedFile::openIfSame(const std::string& path) const {
  int fd = openForTail(path);
  if (fd < 0) return -1;
  std::optional<FileStat> st = statFd(fd);
  if (!st || st->key != key_ || !st->regular) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// Rotation renames a file within its directory: look for the inode there, and make sure by the first bytes that it
// is this file and not a new one that reused a freed inode.
int TailedFile::findInDirectory() const {
  const std::string dir = dirName(real_path_);
  int found = -1;
  if (DIR* d = ::opendir(dir.c_str())) {
    while (dirent* e = ::readdir(d)) {
      if (e->d_ino != key_.ino) continue;
      int fd = openIfSame(dir + "/" + e->d_name);
      if (fd < 0) continue;
      if (fingerprint_.len == 0 || readFingerprint(fd, fingerprint_.len) == fingerprint_) {
        found = fd;
        break;
      }
      ::close(fd);
    }
    ::closedir(d);
  }
  return found;
}

TailedFile::Reopened TailedFile::reopen() {
  if (fd_ >= 0) return Reopened::Same;
  bool moved = false;
  int fd = openIfSame(path_);
  if (fd < 0 && real_path_ != path_) fd = openIfSame(real_path_);
  if (fd < 0) {
    fd = findInDirectory();
    moved = fd >= 0;
  }
  if (fd < 0) {
    gone();
    return Reopened::Gone;
  }
  fd_ = fd;
  local_ = onLocalFileSystem(fd_);
  reads_since_open_ = 0;
  at_eof_ = false;
  std::optional<FileStat> st = statFd(fd_);
  if (st) seen_size_ = st->size;
  if (st && st->size < read_offset_) {
    truncated(st->size);
  } else if (!moved && read_offset_ > 0 && fingerprint_.len > 0 &&
             readFingerprint(fd_, fingerprint_.len) != fingerprint_) {
    // Other first bytes on the same inode: truncated and written again while closed, or deleted and its inode
    // taken by a new file under the same name. Either way it is read from its start.
    truncated(st ? st->size : 0);
  }
  if (moved && state_ == State::Active) {
    startDraining();
    ctx_.rotated(*this);
  }
  return moved ? Reopened::Rotated : Reopened::Same;
}

void TailedFile::gone() {
  const bool unread = seen_size_ > read_offset_;
  if (unread) {
    ++ctx_.counters.errors["closed_file_gone"];
    spdlog::warn("source {}: {} was deleted (or moved out of its directory) while closed for want of descriptors; "
                 "at least {} after offset {} were not read",
                 ctx_.source_name, path_, countOf(seen_size_ - read_offset_, "byte"), read_offset_);
  } else {
    spdlog::info("source {}: {} was deleted while closed for want of descriptors, after it was read to offset {}",
                 ctx_.source_name, path_, read_offset_);
  }
  finish();
}

}  // namespace sluice::plugins::tail
