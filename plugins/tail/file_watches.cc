#include "plugins/tail/file_watches.h"

#include <sys/inotify.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "plugins/tail/tailed_file.h"

namespace sluice::plugins::tail {
namespace {

// Reads every event queued on `fd` and hands each to `each(event, name)`; true if the kernel's queue overflowed.
template <typename Each>
bool readEvents(int fd, Each&& each) {
  alignas(inotify_event) char buf[16 * 1024];
  bool overflow = false;
  while (true) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;  // EAGAIN: every queued event was read
    for (size_t at = 0; at + sizeof(inotify_event) <= static_cast<size_t>(n);) {
      inotify_event e;
      std::memcpy(&e, buf + at, sizeof e);
      const char* name = buf + at + sizeof e;
      at += sizeof e + e.len;
      if ((e.mask & IN_Q_OVERFLOW) != 0) {
        overflow = true;
        continue;
      }
      each(e, std::string_view(name, e.len > 0 ? ::strnlen(name, e.len) : 0));
    }
  }
  return overflow;
}

}  // namespace

FileWatches::FileWatches(Loop& loop, std::chrono::milliseconds read_interval, Handlers handlers)
    : loop_(loop), interval_ms_(static_cast<uint64_t>(read_interval.count())), handlers_(std::move(handlers)) {}

Status FileWatches::start() {
  fd_ = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (fd_ < 0) return makeError(std::string("inotify: ") + std::strerror(errno));
  int rc = poll_.init(this, [&](uv_poll_t* h) { return uv_poll_init(loop_.get(), h, fd_); });
  if (rc == 0) rc = round_timer_.init(this, [&](uv_timer_t* h) { return uv_timer_init(loop_.get(), h); });
  if (rc == 0) rc = uv_poll_start(poll_.get(), UV_READABLE, &FileWatches::onReadable);
  if (rc < 0) {
    close();
    return makeError(std::string("inotify: ") + uv_strerror(rc));
  }
  // Without it (the user's instances used up), new files are found by the scans.
  dir_fd_ = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (dir_fd_ >= 0) {
    rc = dir_poll_.init(this, [&](uv_poll_t* h) { return uv_poll_init(loop_.get(), h, dir_fd_); });
    if (rc == 0) rc = uv_poll_start(dir_poll_.get(), UV_READABLE, &FileWatches::onDirectoryReadable);
    if (rc < 0) {
      dir_poll_.close();
      ::close(dir_fd_);
      dir_fd_ = -1;
    }
  }
  return {};
}

int FileWatches::add(const std::string& path, TailedFile& file) {
  if (fd_ < 0) return -EBADF;
  const int wd = inotify_add_watch(fd_, path.c_str(), IN_MODIFY | IN_ATTRIB | IN_MOVE_SELF | IN_DELETE_SELF);
  if (wd < 0) return -errno;
  files_[wd] = &file;
  return wd;
}

void FileWatches::remove(int wd, const TailedFile& file) {
  auto it = files_.find(wd);
  if (it == files_.end() || it->second != &file) return;
  files_.erase(it);
  if (fd_ >= 0) inotify_rm_watch(fd_, wd);
}

bool FileWatches::addDirectory(const std::string& dir) {
  if (dir_fd_ < 0) return false;
  if (dir_wds_.count(dir)) return true;
  const int wd = inotify_add_watch(dir_fd_, dir.c_str(), IN_CREATE | IN_MOVED_TO | IN_ONLYDIR);
  if (wd < 0) return false;
  dirs_[wd] = dir;
  dir_wds_[dir] = wd;
  return true;
}

void FileWatches::close() {
  poll_.close();  // before the descriptors: libuv must stop polling them first
  dir_poll_.close();
  round_timer_.close();
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  if (dir_fd_ >= 0) ::close(dir_fd_);
  dir_fd_ = -1;
  files_.clear();
  dirs_.clear();
  dir_wds_.clear();
}

void FileWatches::onReadable(uv_poll_t* poll, int, int) noexcept {
  FileWatches* self = ownerOf<FileWatches>(poll);
  if (self == nullptr) return;
  const uint64_t now = self->loop_.nowMs();
  if (self->interval_ms_ == 0 || now >= self->last_round_ms_ + self->interval_ms_) {
    self->round();
    return;
  }
  // A round ran less than read_interval ago: the kernel keeps the events until the next one.
  uv_poll_stop(self->poll_.get());
  uv_timer_start(self->round_timer_.get(), &FileWatches::onRoundTimer, self->last_round_ms_ + self->interval_ms_ - now,
                 0);
}

void FileWatches::onRoundTimer(uv_timer_t* timer) noexcept {
  FileWatches* self = ownerOf<FileWatches>(timer);
  if (self == nullptr) return;
  if (self->fd_ >= 0) uv_poll_start(self->poll_.get(), UV_READABLE, &FileWatches::onReadable);
  self->round();
}

void FileWatches::round() {
  last_round_ms_ = loop_.nowMs();
  if (fd_ < 0) return;
  const bool overflow = readEvents(fd_, [&](const inotify_event& e, std::string_view) {
    auto it = files_.find(e.wd);
    if (it == files_.end()) return;  // removed already; its last events were still queued
    TailedFile* file = it->second;
    if ((e.mask & IN_IGNORED) != 0) files_.erase(it);
    file->onWatchEvent(e.mask);
  });
  if (overflow) handlers_.overflow();
  handlers_.round_done();
}

void FileWatches::onDirectoryReadable(uv_poll_t* poll, int, int) noexcept {
  if (FileWatches* self = ownerOf<FileWatches>(poll)) self->readDirectoryEvents();
}

void FileWatches::readDirectoryEvents() {
  if (dir_fd_ < 0) return;
  std::vector<Created> created;
  const bool overflow = readEvents(dir_fd_, [&](const inotify_event& e, std::string_view name) {
    auto dir = dirs_.find(e.wd);
    if (dir == dirs_.end()) return;
    if ((e.mask & IN_IGNORED) != 0) {  // the directory was deleted, or its file system unmounted
      dir_wds_.erase(dir->second);
      dirs_.erase(dir);
    } else if (!name.empty()) {
      created.push_back(Created{dir->second + "/" + std::string(name), (e.mask & IN_ISDIR) != 0});
    }
  });
  if (overflow) handlers_.overflow();
  if (!created.empty() && handlers_.created) handlers_.created(created);
}

}  // namespace sluice::plugins::tail
