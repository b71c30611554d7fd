#pragma once
// Reads lines from a pipe without taking them out of it until they are safe. tee(2) copies what the pipe holds
// into a private pipe; those lines are routed with an AckEntry; only when it completes ok (every sink spooled
// them, buffer.mode: always) are the same bytes consumed from the input pipe. If Sluice dies in between, the
// lines are still in the pipe for whoever reads it next: stdin is acknowledged to its writer only once spooled.
//
// Several pieces are in flight at once, so that the spool writes and fsyncs one while the next are read and routed
// (group commit): tee always copies from the head of the pipe, so each tee takes what was routed already again
// and the private pipe's first bytes are thrown away. The pipe is made as large as the system allows (1 MiB by
// default): it bounds what is routed and not yet consumed, and so what a crash sends twice.
#include <deque>
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
  struct Piece {
    size_t bytes = 0;
    AckEntry entry;
    bool acked = false;
    bool ok = false;
    bool consumed = false;   // its bytes have left the input pipe
  };
  void readPiece(bool writer_gone);
  // The most one piece takes (its buffer's size): a share of the pipe, or a line and its newline.
  size_t maxPiece() const;
  // Routes whole lines of what the pipe holds past the routed pieces; false when there was nothing to take.
  bool takePiece(bool writer_gone);
  void onAcked(Piece& piece, bool ok);
  // Consumes the acknowledged pieces at the head of the pipe, in order, and frees them (but the one whose
  // acknowledgement is running).
  void settle();
  // Some piece is routed and its bytes are still in the pipe.
  bool inFlight() const;
  // Moves `bytes` from `from` (a pipe) to /dev/null.
  bool discard(int from, size_t bytes);
  void routeLines(std::string_view data, AckEntry& entry);
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
  int null_fd_ = -1;                // /dev/null: what is thrown away is spliced there, not copied
  ByteBuffer piece_;
  std::deque<Piece> pieces_;        // routed and not consumed yet, in pipe order
  size_t routed_bytes_ = 0;         // their bytes, at the head of the pipe
  bool in_read_ = false;            // readPiece is running: an acknowledgement inside it only settles
  const AckEntry* acking_ = nullptr;   // the entry whose done callback is running
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
