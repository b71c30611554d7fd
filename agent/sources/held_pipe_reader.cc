#include "agent/sources/held_pipe_reader.h"

#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "agent/core/clock.h"

namespace sluice {
namespace {

constexpr size_t kWantedPipeSize = 1 << 20;
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
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
  fd_ = fd;
  piece_.reserve(capacity_);
  int rc = poll_.init(this, [&](uv_poll_t* p) { return uv_poll_init(loop_.get(), p, fd_); });
  if (rc < 0) return makeError(std::string("cannot watch the pipe: ") + uv_strerror(rc), rc);
  timer_.init(this, [&](uv_timer_t* t) { return uv_timer_init(loop_.get(), t); });
  return {};
}

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
  if (!paused_ && !in_flight_) watch();
}

void HeldPipeReader::pause() {
  paused_ = true;
  unwatch();
  uv_timer_stop(timer_.get());
}

void HeldPipeReader::resume() {
  paused_ = false;
  if (!in_flight_ && !stopped_) watch();
}

void HeldPipeReader::stop() {
  if (stopped_) return;
  stopped_ = true;
  unwatch();
  uv_timer_stop(timer_.get());
  if (!in_flight_) end(0);
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

void HeldPipeReader::readPiece(bool writer_gone) {
  if (in_flight_ || paused_ || stopped_ || ended_) return;
  int avail = 0;
  if (::ioctl(fd_, FIONREAD, &avail) != 0) avail = 0;
  if (avail == 0) {
    if (writer_gone) end(0);  // nothing left and nobody to write more: EOF
    return;
  }
  ssize_t n = ::tee(fd_, copy_w_, static_cast<size_t>(avail), SPLICE_F_NONBLOCK);
  if (n <= 0) {
    if (n < 0 && errno != EAGAIN) {
      spdlog::error("source {}: tee: {}", record_.source->name, std::strerror(errno));
      end(-errno);
    }
    return;
  }
  piece_.resize(static_cast<size_t>(n));
  size_t got = 0;
  while (got < static_cast<size_t>(n)) {
    ssize_t m = ::read(copy_r_, piece_.data() + got, static_cast<size_t>(n) - got);
    if (m <= 0) {
      if (m < 0 && errno == EINTR) continue;
      spdlog::error("source {}: reading the private pipe failed", record_.source->name);
      end(-EIO);
      return;
    }
    got += static_cast<size_t>(m);
  }
  std::string_view data = piece_.view();
  // Only whole lines are taken: a partial last line stays in the pipe and is copied again with what follows,
  // unless it is already longer than a message may be, or nothing will follow.
  size_t take = 0;
  if (size_t nl = data.rfind('\n'); nl != std::string_view::npos) {
    take = nl + 1;
  } else if (data.size() > max_line_) {
    take = max_line_;
  } else if (writer_gone || ++pending_without_newline_ >= kPartialRounds) {
    take = data.size();
  } else {
    // Wait for the rest of the line without spinning on a pipe that stays readable.
    unwatch();
    uv_timer_start(timer_.get(), &HeldPipeReader::onTimer, kPartialCheckMs, 0);
    return;
  }
  pending_without_newline_ = 0;
  uv_timer_stop(timer_.get());
  unwatch();
  in_flight_ = true;
  entry_.open([this, take](AckEntry&, bool ok) { onAcked(ok, take); });
  if (echo_.on()) echo_.write(data.substr(0, take));
  routeLines(data.substr(0, take));
  counters_.received_bytes += take;
  router_.flush();  // the spool acknowledges what it has written: do not let a linger hold the pipe
  entry_.release(true);
}

void HeldPipeReader::routeLines(std::string_view data) {
  record_.received_us = wallMicros();
  record_.ack = &entry_;
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

void HeldPipeReader::onAcked(bool ok, size_t bytes) {
  in_flight_ = false;
  if (ok) {
    // Safe in every sink: now the bytes may leave the pipe.
    size_t left = bytes;
    while (left > 0) {
      ssize_t n = ::read(fd_, piece_.data(), std::min(left, piece_.capacity()));
      if (n <= 0) {
        if (n < 0 && errno == EINTR) continue;
        spdlog::error("source {}: consuming acknowledged input failed", record_.source->name);
        break;
      }
      left -= static_cast<size_t>(n);
    }
    acked_bytes_ += bytes - left;
  }
  if (stopped_ || !ok) {
    end(0);
    return;
  }
  if (!paused_) {
    watch();
    readPiece(false);
  }
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
