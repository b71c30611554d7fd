#include "tests/soak/soak_load.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "agent/net/http_wire.h"
#include "tests/support/files.h"
#include "tests/support/raw_http.h"

namespace sluice::soak {

std::string soakLine(const std::string& stream, uint64_t seq, size_t width) {
  char head[64];
  int n = snprintf(head, sizeof head, "%s-%09llu ", stream.c_str(), static_cast<unsigned long long>(seq));
  std::string line(head, static_cast<size_t>(n));
  if (line.size() < width) line.append(width - line.size(), 'x');
  return line;
}

bool parseSoakLine(std::string_view body, std::string* stream, uint64_t* seq) {
  size_t dash = body.find('-');
  if (dash == std::string_view::npos || dash + 10 > body.size()) return false;
  uint64_t v = 0;
  for (size_t i = dash + 1; i < dash + 10; ++i) {
    if (body[i] < '0' || body[i] > '9') return false;
    v = v * 10 + static_cast<uint64_t>(body[i] - '0');
  }
  stream->assign(body.substr(0, dash));
  *seq = v;
  return true;
}

Producer::~Producer() = default;

void Producer::start() { thread_ = std::thread([this] { run(); }); }

void Producer::stop() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

void Producer::run() {
  const auto begin = std::chrono::steady_clock::now();
  while (!stop_) {
    double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - begin).count();
    uint64_t due = static_cast<uint64_t>(elapsed * rate_);
    uint64_t done = produced_.load();
    if (due > done) produced_ += produce(done, due - done);
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

RotatingFileWriter::RotatingFileWriter(std::string dir, double lines_per_second, size_t width,
                                       std::chrono::milliseconds rotate_every)
    : Producer(lines_per_second, width), dir_(std::move(dir)), rotate_every_(rotate_every) {}

RotatingFileWriter::~RotatingFileWriter() {
  stop();
  if (fd_ >= 0) ::close(fd_);
}

uint64_t RotatingFileWriter::produce(uint64_t from, uint64_t count) {
  const std::string live = dir_ + "/app.log";
  auto now = std::chrono::steady_clock::now();
  if (fd_ >= 0 && now - opened_ >= rotate_every_) {
    // Rotated names are kept (app.log.1, app.log.2, ...): a file deleted before Sluice read it would be a loss
    // the soak did on purpose, not one to look for.
    uint64_t n = ++rotations_;
    ::close(fd_);
    fd_ = -1;
    if (::rename(live.c_str(), (live + "." + std::to_string(n)).c_str()) != 0) perror("soak: rename");
  }
  if (fd_ < 0) {
    fd_ = ::open(live.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    opened_ = now;
    if (fd_ < 0) {
      perror("soak: open app.log");
      return 0;
    }
  }
  std::string out;
  for (uint64_t i = 0; i < count; ++i) out += soakLine("file", from + i, width_) + "\n";
  return writeAll(fd_, out) ? count : 0;
}

PipeWriter::PipeWriter(double lines_per_second, size_t width) : Producer(lines_per_second, width) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) == 0) {
    read_fd_ = fds[0];
    write_fd_ = fds[1];
  }
}

PipeWriter::~PipeWriter() {
  stop();
  if (write_fd_ >= 0) ::close(write_fd_);
  if (read_fd_ >= 0) ::close(read_fd_);
}

uint64_t PipeWriter::produce(uint64_t from, uint64_t count) {
  std::string out;
  for (uint64_t i = 0; i < count; ++i) out += soakLine("pipe", from + i, width_) + "\n";
  // Blocks while the pipe is full (the agent is down or pushes back): the pace is then the agent's.
  return writeAll(write_fd_, out) ? count : 0;
}

LogplexPoster::LogplexPoster(uint16_t port, std::string token, double lines_per_second, size_t width, size_t batch)
    : Producer(lines_per_second, width), port_(port), token_(std::move(token)), batch_(batch) {}

uint64_t LogplexPoster::produce(uint64_t from, uint64_t count) {
  uint64_t done = 0;
  while (count - done >= batch_ || (done == 0 && count > 0 && stopping())) {
    uint64_t n = std::min<uint64_t>(batch_, count - done);
    std::string body;
    for (uint64_t i = 0; i < n; ++i) {
      std::string msg = "<134>1 2026-12-02T00:00:00.000000Z poster soak - - - " + soakLine("post", from + done + i, width_);
      body += std::to_string(msg.size()) + " " + msg;
    }
    const std::string frame_id = "soak-" + std::to_string(from + done);
    // Until it is answered 2xx, even while stopping: an unanswered POST is one the client still owes.
    for (;;) {
      ++attempts_;
      auto r = rawRequest(port_, "POST", "/logs",
                          {{"Authorization", "Basic " + base64Encode("token:" + token_)},
                           {"Content-Type", "application/logplex-1"},
                           {"Logplex-Frame-Id", frame_id},
                           {"Logplex-Msg-Count", std::to_string(n)}},
                          body, std::chrono::seconds(30));
      if (r && r->status >= 200 && r->status < 300) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    done += n;
  }
  return done;
}

}  // namespace sluice::soak
