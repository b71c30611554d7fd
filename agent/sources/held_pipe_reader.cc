#include "agent/sources/held_pipe_reader.h"

#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "agent/core/clock.h"

namespace sluice {
namespace {

constexpr size_t kWantedPipeSize = 1 << 20;
// A piece is at most this part of the pipe: while the spool fsyncs one, the next ones are routed.
constexpr size_t kPiecesPerPipe = 4;
constexpr uint64_t kPartialCheckMs = 20;
constexpr int kPartialRounds = 50;  // a line without its newline is sent after ~1 s without more data

}  // namespace

HeldPipeReader::HeldPipeReader(Loop& loop, Router& router, const SourceInfo& info, Severity severity,
                               size_t max_line_bytes, ComponentCounters& counters, std::function<void(int)> on_end)
    : loop_(loop),
      router_(router),
      counters_(counters),
      on_end_(std::move(on_end)),
      max_line_(max_line_bytes),
      splitter_(max_line_bytes) {
  record_.source = &info;
  record_.severity = severity;
}

HeldPipeReader::~HeldPipeReader() {
  if (copy_r_ >= 0) ::close(copy_r_);
  if (copy_w_ >= 0) ::close(copy_w_);
  if (null_fd_ >= 0) ::close(null_fd_);
}

Status HeldPipeReader::open(int fd) {
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISFIFO(st.st_mode)) return makeError("not a pipe");
  int size = ::fcntl(fd, F_SETPIPE_SZ, static_cast<int>(kWantedPipeSize));
  if (size < 0) size = ::fcntl(fd, F_GETPIPE_SZ);
  if (size <= 0) return makeError(std::string("cannot size the pipe: ") + std::strerror(errno));
  int copy[2];
  if (::pipe2(copy, O_CLOEXEC | O_NONBLOCK) != 0) return makeError(std::string("pipe2: ") + std::strerror(errno));
  copy_r_ = copy[0];
  copy_w_ = copy[1];
  if (::fcntl(copy_w_, F_SETPIPE_SZ, size) < size) return makeError("cannot size the private pipe");
  capacity_ = static_cast<size_t>(size);
  null_fd_ = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
  if (null_fd_ < 0) return makeError(std::string("cannot open /dev/null: ") + std::strerror(errno));
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
  fd_ = fd;
  piece_.reserve(maxPiece());
  int rc = poll_.init(this, [&](uv_poll_t* p) { return uv_poll_init(loop_.get(), p, fd_); });
  if (rc < 0) return makeError(std::string("cannot watch the pipe: ") + uv_strerror(rc), rc);
  timer_.init(this, [&](uv_timer_t* t) { return uv_timer_init(loop_.get(), t); });
  return {};
}

size_t HeldPipeReader::maxPiece() const { return std::max<size_t>(capacity_ / kPiecesPerPipe, max_line_ + 1); }

void HeldPipeReader::watch() {
  if (watching_ || ended_) return;
  uv_poll_start(poll_.get(), UV_READABLE | UV_DISCONNECT, &HeldPipeReader::onPoll);
  watching_ = true;
}

void HeldPipeReader::unwatch() {
  if (!watching_) return;
  uv_poll_stop(poll_.get());
  watching_ = false;
}

void HeldPipeReader::start() {
  if (!paused_ && !inFlight()) watch();
}

void HeldPipeReader::pause() {
  paused_ = true;
  unwatch();
  uv_timer_stop(timer_.get());
}

void HeldPipeReader::resume() {
  paused_ = false;
  if (!stopped_ && fd_ >= 0) readPiece(false);
}

void HeldPipeReader::stop() {
  if (stopped_) return;
  stopped_ = true;
  unwatch();
  uv_timer_stop(timer_.get());
  if (!inFlight()) end(0);
}

void HeldPipeReader::onPoll(uv_poll_t* poll, int status, int events) noexcept {
  HeldPipeReader* self = ownerOf<HeldPipeReader>(poll);
  if (self == nullptr) return;
  if (status < 0) {
    spdlog::warn("source {}: cannot read standard input: {}", self->record_.source->name, uv_strerror(status));
    self->end(status);
    return;
  }
  self->readPiece((events & UV_DISCONNECT) != 0);
}

void HeldPipeReader::onTimer(uv_timer_t* timer) noexcept {
  HeldPipeReader* self = ownerOf<HeldPipeReader>(timer);
  if (self != nullptr) self->readPiece(false);
}

// Takes pieces while there is room in flight and new input. The pipe stays readable while routed bytes wait in
// it, so it is watched only while nothing is in flight; otherwise the next acknowledgement looks again.
void HeldPipeReader::readPiece(bool writer_gone) {
  if (paused_ || stopped_ || ended_ || in_read_) return;
  in_read_ = true;
  while (pieces_.size() < kPiecesPerPipe && !paused_ && !stopped_ && !ended_ && takePiece(writer_gone)) {
  }
  in_read_ = false;
  settle();  // what was acknowledged while routing
  if (ended_ || stopped_ || paused_) return;
  if (!inFlight()) {
    if (uv_is_active(timer_.handle()) == 0) watch();
  } else {
    unwatch();
  }
}

bool HeldPipeReader::takePiece(bool writer_gone) {
  int avail = 0;
  if (::ioctl(fd_, FIONREAD, &avail) != 0) avail = 0;
  const size_t in_pipe = static_cast<size_t>(std::max(avail, 0));
  if (in_pipe <= routed_bytes_) {
    if (in_pipe == 0 && !inFlight() && writer_gone) end(0);  // nothing left and nobody to write more: EOF
    return false;
  }
  const size_t want = std::min(in_pipe - routed_bytes_, maxPiece());
  ssize_t n = ::tee(fd_, copy_w_, routed_bytes_ + want, SPLICE_F_NONBLOCK);
  if (n <= 0) {
    if (n < 0 && errno != EAGAIN) {
      spdlog::error("source {}: tee: {}", record_.source->name, std::strerror(errno));
      end(-errno);
    }
    return false;
  }
  // The routed bytes came along: thrown away. A short tee (should not happen: they are in the pipe) takes nothing.
  if (static_cast<size_t>(n) <= routed_bytes_) {
    if (!discard(copy_r_, static_cast<size_t>(n))) end(-EIO);
    return false;
  }
  if (routed_bytes_ > 0 && !discard(copy_r_, routed_bytes_)) {
    end(-EIO);
    return false;
  }
  const size_t fresh = static_cast<size_t>(n) - routed_bytes_;
  piece_.resize(fresh);
  size_t got = 0;
  while (got < fresh) {
    ssize_t m = ::read(copy_r_, piece_.data() + got, fresh - got);
    if (m <= 0) {
      if (m < 0 && errno == EINTR) continue;
      spdlog::error("source {}: reading the private pipe failed", record_.source->name);
      end(-EIO);
      return false;
    }
    got += static_cast<size_t>(m);
  }
  std::string_view data = piece_.view();
  // Only whole lines are taken: a partial last line stays in the pipe and is copied again with what follows,
  // unless it is already longer than a message may be, or nothing will follow. (A piece is longer than a line may
  // be, so one without a newline that is not too long holds the last bytes in the pipe.)
  size_t take = 0;
  if (size_t nl = data.rfind('\n'); nl != std::string_view::npos) {
    take = nl + 1;
  } else if (data.size() > max_line_) {
    take = max_line_;
  } else if (inFlight()) {
    return false;  // the next acknowledgement looks again
  } else if (writer_gone || ++pending_without_newline_ >= kPartialRounds) {
    take = data.size();
  } else {
    // Wait for the rest of the line without spinning on a pipe that stays readable.
    unwatch();
    uv_timer_start(timer_.get(), &HeldPipeReader::onTimer, kPartialCheckMs, 0);
    return false;
  }
  pending_without_newline_ = 0;
  uv_timer_stop(timer_.get());
  Piece& piece = pieces_.emplace_back();
  piece.bytes = take;
  routed_bytes_ += take;
  piece.entry.open([this, &piece](AckEntry&, bool ok) { onAcked(piece, ok); });
  if (echo_.on()) echo_.write(data.substr(0, take));
  routeLines(data.substr(0, take), piece.entry);
  counters_.received_bytes += take;
  router_.flush();  // the spool acknowledges what it has written: do not let a linger hold the pipe
  piece.entry.release(true);
  return true;
}

void HeldPipeReader::routeLines(std::string_view data, AckEntry& entry) {
  record_.received_us = wallMicros();
  record_.ack = &entry;
  LineSplitter& splitter = splitter_;  // reused: finish() leaves it empty for the next piece
  const uint64_t split_before = splitter.splitLines();
  uint64_t lines = 0;
  auto emit = [&](std::string_view line, bool) {
    record_.message = line;
    router_.route(record_);
    ++lines;
  };
  while (!data.empty()) {
    uv_buf_t buf = splitter.readBuffer();
    size_t n = std::min<size_t>(buf.len, data.size());
    std::memcpy(buf.base, data.data(), n);
    splitter.commit(n, emit);
    data.remove_prefix(n);
  }
  splitter.finish(emit);
  counters_.received_events += lines;
  counters_.split_lines += splitter.splitLines() - split_before;
  record_.ack = nullptr;
}

bool HeldPipeReader::discard(int from, size_t bytes) {
  while (bytes > 0) {
    ssize_t n = ::splice(from, nullptr, null_fd_, nullptr, bytes, 0);
    if (n <= 0) {
      if (n < 0 && errno == EINTR) continue;
      spdlog::error("source {}: cannot take bytes out of a pipe: {}", record_.source->name,
                    n < 0 ? std::strerror(errno) : "it ended");
      return false;
    }
    bytes -= static_cast<size_t>(n);
  }
  return true;
}

void HeldPipeReader::onAcked(Piece& piece, bool ok) {
  piece.acked = true;
  piece.ok = ok;
  // Its entry's callback is running: the piece must outlive it, until the next settle.
  const AckEntry* outer = std::exchange(acking_, &piece.entry);
  settle();
  if (!ended_) {
    if (stopped_) {
      if (!inFlight()) end(0);
    } else if (!in_read_) {
      readPiece(false);
    }
  }
  acking_ = outer;
}

void HeldPipeReader::settle() {
  for (Piece& p : pieces_) {
    if (p.consumed) continue;
    if (!p.acked) break;
    if (!p.ok) {
      // Not safe in some sink (abandoned at shutdown): it and what follows stay in the pipe.
      end(0);
      return;
    }
    // Safe in every sink: now the bytes may leave the pipe.
    if (!discard(fd_, p.bytes)) {
      end(-EIO);
      return;
    }
    p.consumed = true;
    routed_bytes_ -= p.bytes;
    acked_bytes_ += p.bytes;
  }
  while (!pieces_.empty() && pieces_.front().consumed && &pieces_.front().entry != acking_) pieces_.pop_front();
}

bool HeldPipeReader::inFlight() const {
  return std::any_of(pieces_.begin(), pieces_.end(), [](const Piece& p) { return !p.consumed; });
}

void HeldPipeReader::end(int status) {
  if (ended_) return;
  ended_ = true;
  unwatch();
  poll_.close();
  timer_.close();
  loop_.post([fn = on_end_, status] { fn(status); });
}

}  // namespace sluice
