#pragma once
// Reads lines from a pipe, a terminal (libuv stream reads) or a regular file (uv_fs_read: `sluice < file`) and
// routes them as records of one source. Shared by the stdin source and both pipes of the exec source.
#include <functional>

#include "agent/core/counters.h"
#include "agent/core/log.h"
#include "agent/core/record.h"
#include "agent/loop/loop.h"
#include "agent/loop/uv_request.h"
#include "agent/pipeline/line_splitter.h"
#include "agent/pipeline/router.h"
#include "agent/sources/line_echo.h"

namespace sluice {

class LineReader {
 public:
  // `on_end` runs once when the stream ends (0 at EOF, else the libuv error), on the loop.
  LineReader(Loop& loop, Router& router, const SourceInfo& info, Severity severity, size_t max_line_bytes,
             ComponentCounters& counters, std::function<void(int status)> on_end);
  ~LineReader();
  LineReader(const LineReader&) = delete;
  LineReader& operator=(const LineReader&) = delete;

  // Adopts an existing fd: a pipe or socket (uv_pipe_open), a terminal (uv_tty_init) or a regular file.
  // A closed fd ends the reader at once.
  Status openFd(int fd);
  // The pipe to pass to uv_spawn as a child's stdout/stderr; reading starts with start().
  uv_pipe_t* createPipe();

  // tee: what is read is also written to `fd` (Sluice's stdout or stderr) as it is read.
  void echoTo(int fd) { echo_.setFd(fd); }

  void start();
  void pause();
  void resume();
  // Stops reading; the partial last line is routed and on_end runs (status 0).
  void stop();
  bool ended() const { return ended_; }

 private:
  static void onAlloc(uv_handle_t* handle, size_t suggested, uv_buf_t* buf) noexcept;
  static void onRead(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf) noexcept;
  void readFile();
  static void onFileRead(uv_fs_t* req) noexcept;
  void route(const char* data, size_t nread);
  void end(int status);
  uv_stream_t* stream() const;

  Loop& loop_;
  Router& router_;
  ComponentCounters& counters_;
  std::function<void(int)> on_end_;
  Record record_;
  LineSplitter splitter_;
  UvHandle<uv_pipe_t> pipe_;
  UvHandle<uv_tty_t> tty_;
  int file_fd_ = -1;                 // regular file mode
  struct FileRead {
    LineReader* owner = nullptr;     // nulled when the reader is destroyed first
    const char* buffer = nullptr;    // where the read goes
  };
  using FileReadReq = UvRequest<uv_fs_t, FileRead>;
  FileReadReq* file_read_ = nullptr;  // a read in flight (its buffer is splitter_'s: the loop outlives it)
  bool reading_ = false;
  bool paused_ = false;
  bool stopping_ = false;
  bool ended_ = false;
  uint64_t split_seen_ = 0;
  RateLimitedLog split_log_;
  LineEcho echo_;
};

}  // namespace sluice
