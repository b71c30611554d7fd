#include "agent/sources/line_reader.h"

#include "agent/core/clock.h"
#include "agent/core/units.h"

namespace sluice {

LineReader::LineReader(Loop& loop, Router& router, const SourceInfo& info, Severity severity,
                       size_t max_line_bytes, ComponentCounters& counters, std::function<void(int)> on_end)
    : loop_(loop), router_(router), counters_(counters), on_end_(std::move(on_end)), splitter_(max_line_bytes) {
  record_.source = &info;
  record_.severity = severity;
}

LineReader::~LineReader() {
  if (file_read_ != nullptr) file_read_->owner = nullptr;
}

Status LineReader::openFd(int fd) {
  uv_handle_type type = uv_guess_handle(fd);
  int rc;
  if (type == UV_FILE) {
    file_fd_ = fd;
    return {};
  }
  if (type == UV_UNKNOWN_HANDLE) {
    end(0);  // a closed fd: nothing to read
    return {};
  }
  if (type == UV_TTY) {
    rc = tty_.init(this, [&](uv_tty_t* t) { return uv_tty_init(loop_.get(), t, fd, 0); });
  } else {
    rc = pipe_.init(this, [&](uv_pipe_t* p) { return uv_pipe_init(loop_.get(), p, 0); });
    if (rc == 0) rc = uv_pipe_open(pipe_.get(), fd);
  }
  if (rc < 0) return makeError(std::string("cannot read fd ") + std::to_string(fd) + ": " + uv_strerror(rc), rc);
  return {};
}

uv_pipe_t* LineReader::createPipe() {
  pipe_.init(this, [&](uv_pipe_t* p) { return uv_pipe_init(loop_.get(), p, 0); });
  return pipe_.get();
}

uv_stream_t* LineReader::stream() const { return tty_ ? tty_.stream() : pipe_.stream(); }

void LineReader::start() {
  if (ended_ || reading_ || paused_) return;
  if (file_fd_ >= 0) {
    reading_ = true;
    if (file_read_ == nullptr) readFile();
    return;
  }
  int rc = uv_read_start(stream(), &LineReader::onAlloc, &LineReader::onRead);
  if (rc < 0) {
    spdlog::error("source {}: cannot read: {}", record_.source->name, uv_strerror(rc));
    end(rc);
    return;
  }
  reading_ = true;
}

void LineReader::pause() {
  paused_ = true;
  if (reading_) {
    if (file_fd_ < 0) uv_read_stop(stream());
    reading_ = false;  // file mode: the read in flight completes, no new one starts
  }
}

void LineReader::resume() {
  paused_ = false;
  start();
}

void LineReader::stop() {
  if (ended_) return;
  if (reading_ && file_fd_ < 0) uv_read_stop(stream());
  reading_ = false;
  stopping_ = true;
  if (file_read_ == nullptr) end(0);  // else the read in flight ends it
}

void LineReader::readFile() {
  uv_buf_t buf = splitter_.readBuffer();
  auto req = FileReadReq::make(FileRead{this, buf.base});
  FileReadReq* in_flight = req.get();
  int rc = FileReadReq::start(req, [&](uv_fs_t* r) {
    return uv_fs_read(loop_.get(), r, file_fd_, &buf, 1, -1, &LineReader::onFileRead);
  });
  if (rc < 0) {
    spdlog::error("source {}: cannot read: {}", record_.source->name, uv_strerror(rc));
    reading_ = false;
    end(rc);
    return;
  }
  file_read_ = in_flight;
}

void LineReader::onFileRead(uv_fs_t* r) noexcept {
  auto req = FileReadReq::adopt(r);
  LineReader* self = req->owner;
  const ssize_t n = r->result;
  if (self == nullptr) return;
  self->file_read_ = nullptr;
  if (n > 0) {
    self->route(req->buffer, static_cast<size_t>(n));
    if (self->reading_) {
      self->readFile();
    } else if (self->stopping_) {
      self->end(0);  // stopped while the read was in flight
    }
    return;
  }
  if (n < 0) spdlog::warn("source {}: read error: {}", self->record_.source->name, uv_strerror(static_cast<int>(n)));
  self->reading_ = false;
  self->end(n < 0 ? static_cast<int>(n) : 0);
}

void LineReader::onAlloc(uv_handle_t* handle, size_t, uv_buf_t* buf) noexcept {
  LineReader* self = ownerOf<LineReader>(handle);
  if (self == nullptr) {
    *buf = uv_buf_init(nullptr, 0);
    return;
  }
  *buf = self->splitter_.readBuffer();
}

void LineReader::onRead(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf) noexcept {
  LineReader* self = ownerOf<LineReader>(stream);
  if (self == nullptr) return;
  if (nread > 0) {
    self->route(buf->base, static_cast<size_t>(nread));
  } else if (nread < 0) {
    if (nread != UV_EOF) {
      spdlog::warn("source {}: read error: {}", self->record_.source->name, uv_strerror(static_cast<int>(nread)));
    }
    self->reading_ = false;
    self->end(nread == UV_EOF ? 0 : static_cast<int>(nread));
  }
}

void LineReader::route(const char* data, size_t nread) {
  if (echo_.on()) echo_.write(std::string_view(data, nread));
  record_.received_us = wallMicros();  // one clock read per read, not per line
  counters_.received_bytes += nread;
  uint64_t lines = 0;
  splitter_.commit(nread, [&](std::string_view line, bool) {
    record_.message = line;
    router_.route(record_);
    ++lines;
  });
  counters_.received_events += lines;
  if (splitter_.splitLines() != split_seen_) {
    counters_.split_lines += splitter_.splitLines() - split_seen_;
    split_seen_ = splitter_.splitLines();
    uint64_t suppressed = 0;
    if (split_log_.allow(&suppressed)) {
      spdlog::warn("source {}: a line longer than max_line_bytes was split into several messages ({} so far)",
                   record_.source->name, split_seen_);
    }
  }
}

void LineReader::end(int status) {
  if (ended_) return;
  ended_ = true;
  record_.received_us = wallMicros();
  splitter_.finish([&](std::string_view line, bool) {
    record_.message = line;
    router_.route(record_);
    ++counters_.received_events;
  });
  if (splitter_.splitLines() != split_seen_) {
    counters_.split_lines += splitter_.splitLines() - split_seen_;
    split_seen_ = splitter_.splitLines();
  }
  pipe_.close();
  tty_.close();
  // on_end may destroy this reader's owner: run it on the next turn.
  loop_.post([fn = on_end_, status] { fn(status); });
}

}  // namespace sluice
