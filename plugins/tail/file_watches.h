#pragma once
// The inotify watches of a tail source's files: one inotify instance per source, read in rounds, at most one round
// per read_interval. A round reads every event the kernel queued since the last one, marks the files they name
// (TailedFile::onWatchEvent) and then lets the source look at each marked file once (round_done): a file written ten
// times between two rounds costs one look and one read, and 1,000 busy files cost one loop wake-up per round instead
// of one per write. When the last round is older than read_interval, events are read as soon as they come, so a
// file written now and then is read at once; a busy one waits at most read_interval.
//
// The directories of the source's patterns are watched too (names created in them or moved into them), on an inotify
// instance of their own that is read as soon as it is readable: a new file is opened at once, not at the next round
// or scan, so that one rotated away soon after it appeared (before the next round) is still read. Directories see a
// few events per rotation, not one per write, so reading them at once costs nothing worth gathering.
//
// libuv's uv_fs_event would do the watching, but it reads inotify as soon as it is readable (a wake-up per write) and
// finds each event's watcher in a tree: the two cost more than the lines of a small write.
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <unordered_map>
#include <vector>

#include "agent/core/result.h"
#include "agent/loop/loop.h"
#include "agent/loop/uv_handle.h"

namespace sluice::plugins::tail {

class TailedFile;

class FileWatches {
 public:
  struct Created {
    std::string path;
    bool directory = false;
  };
  struct Handlers {
    std::function<void()> round_done;   // after a round's events were handed to their files
    std::function<void()> overflow;     // the kernel's queue overflowed: events were lost, every file needs a look
    // Names created in (or moved into) the watched directories, as soon as they are reported.
    std::function<void(const std::vector<Created>& names)> created;
  };

  FileWatches(Loop& loop, std::chrono::milliseconds read_interval, Handlers handlers);
  ~FileWatches() { close(); }
  FileWatches(const FileWatches&) = delete;
  FileWatches& operator=(const FileWatches&) = delete;

  // Creates the inotify instance. On failure (the user's inotify instances used up) files are only polled.
  Status start();
  // Watches `path` (the file's changes, its rename and deletion) for `file`: the watch descriptor, or a negative
  // errno (no instance, or the user's watches used up: the file is then polled).
  int add(const std::string& path, TailedFile& file);
  void remove(int wd, const TailedFile& file);
  // Watches the directory `dir` (once) for the names created in it. False when it cannot (no instance, no such
  // directory, the watches used up): the scans find its new files.
  bool addDirectory(const std::string& dir);
  // Shutdown: no more events, and nothing of this keeps the loop alive.
  void close();

 private:
  static void onReadable(uv_poll_t* poll, int status, int events) noexcept;
  static void onRoundTimer(uv_timer_t* timer) noexcept;
  static void onDirectoryReadable(uv_poll_t* poll, int status, int events) noexcept;
  void round();
  void readDirectoryEvents();

  Loop& loop_;
  const uint64_t interval_ms_;
  Handlers handlers_;
  int fd_ = -1;
  std::unordered_map<int, TailedFile*> files_;   // by watch descriptor
  int dir_fd_ = -1;                               // the directories' instance
  std::unordered_map<int, std::string> dirs_;     // by watch descriptor (of dir_fd_)
  std::unordered_map<std::string, int> dir_wds_;  // by path
  UvHandle<uv_poll_t> dir_poll_;
  UvHandle<uv_poll_t> poll_;
  UvHandle<uv_timer_t> round_timer_;   // runs while readable events wait for the next round
  uint64_t last_round_ms_ = 0;
};

}  // namespace sluice::plugins::tail
