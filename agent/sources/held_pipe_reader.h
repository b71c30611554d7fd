#pragma once
// Reads lines from a pipe without taking them out of it until they are safe. tee(2) copies what the pipe holds
// into a private pipe; those lines are routed with an AckEntry; only when it completes ok (every sink spooled
// them, buffer.mode: always) are the same bytes consumed from the input pipe. If Sluice dies in between, the
// lines are still in the pipe for whoever reads it next: stdin is acknowledged to its writer only once spooled.
//
// One piece of input is in flight at a time (tee always copies from the head of the pipe), so the pipe is made
// as large as the system allows (1 MiB by default) to keep the spool's fsyncs few.
#include <functional>

#include "agent/core/ack.h"
#include "agent/core/counters.h"
#include "agent/core/log.h"
#include "agent/core/record.h"
#include "agent/loop/loop.h"
#include "agent/pipeline/line_splitter.h"
#include "agent/pipeline/router.h"
#include "agent/sources/line_echo.h"

namespace sluice {

class HeldPipeReader {
 public:
  HeldPipeReader(Loop& loop, Router& router, const SourceInfo& info, Severity severity, size_t max_line_bytes,
                 ComponentCounters& counters, std::function<void(int status)> on_end);
  ~HeldPipeReader();
  HeldPipeReader(const HeldPipeReader&) = delete;
  HeldPipeReader& operator=(const HeldPipeReader&) = delete;

  // Fails when `fd` is not a pipe (the caller then reads it the ordinary way).
  Status open(int fd);
  // tee: what is taken from the pipe is also written to `fd` (Sluice's stdout), once, as it is routed.
  void echoTo(int fd) { echo_.setFd(fd); }

  void start();
  void pause();
  void resume();
  // Stops; what was routed and not yet acknowledged stays in the pipe.
  void stop();
  uint64_t ackedBytes() const { return acked_bytes_; }

 private:
  static void onPoll(uv_poll_t* poll, int status, int events) noexcept;
  static void onTimer(uv_timer_t* timer) noexcept;
  void watch();
  void unwatch();
  void readPiece(bool writer_gone);
  void onAcked(bool ok, size_t bytes);
  void routeLines(std::string_view data);
  void end(int status);

  Loop& loop_;
  Router& router_;
  ComponentCounters& counters_;
  std::function<void(int)> on_end_;
  Record record_;
  size_t max_line_;
  LineSplitter splitter_;
  int fd_ = -1;
  int copy_r_ = -1;                 // the private pipe tee() fills
  int copy_w_ = -1;
  size_t capacity_ = 0;             // the input pipe's size
  ByteBuffer piece_;
  AckEntry entry_;
  bool in_flight_ = false;          // a piece routed, waiting for its acknowledgement
  bool paused_ = false;
  bool stopped_ = false;
  bool ended_ = false;
  bool watching_ = false;
  int pending_without_newline_ = 0; // timer rounds a partial line has waited
  uint64_t acked_bytes_ = 0;
  LineEcho echo_;
  UvHandle<uv_poll_t> poll_;
  UvHandle<uv_timer_t> timer_;
};

}  // namespace sluice
