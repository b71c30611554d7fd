#pragma once
// Helpers of the spool's end-to-end tests: a config, a pipe fed from a thread, counting what the drain received.
#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <thread>

#include "tests/e2e/e2e.h"

namespace sluice::e2e {

inline std::string spoolConfig(const Env& env, const TestDrain& drain, const std::string& buffer,
                               const std::string& extra_agent = "  shutdown_timeout: 20s\n",
                               const std::string& state_dir = "") {
  return env.writeFile("sluice.yaml", "agent:\n  hostname: h\n  state_dir: " +
                                          (state_dir.empty() ? env.dir.path() + "/state" : state_dir) + "\n" +
                                          extra_agent + "sources:\n  - name: app\n    type: stdin\nsinks:\n"
                                          "  - name: drain\n    type: logplex_https\n    url: " + drain.url() +
                                          "\n    tls: {ca_file: " + env.certs.ca_cert + "}\n"
                                          "    retry: {initial: 50ms, max: 500ms}\n    buffer: " + buffer + "\n");
}

// Feeds `input` into a pipe from a thread, in 64 KiB writes; it can be held back and resumed.
class PipeWriter {
 public:
  explicit PipeWriter(std::string input) : input_(std::move(input)) {
    int p[2];
    REQUIRE(pipe2(p, O_CLOEXEC) == 0);
    read_fd = p[0];
    write_fd_ = p[1];
    thread_ = std::thread([this] { run(); });
  }
  ~PipeWriter() {
    stop_ = true;
    held_ = false;
    if (write_fd_ >= 0) ::close(write_fd_);
    write_fd_ = -1;
    thread_.join();
    ::close(read_fd);
  }
  void hold() {
    held_ = true;
    REQUIRE(waitFor([&] { return idle_.load(); }, 60s));
  }
  void resume() { held_ = false; }
  size_t written() const { return written_; }
  bool finished() const { return finished_; }
  // The write end closes once everything was written: the reader sees EOF.
  void closeWhenDone() { close_when_done_ = true; }
  int read_fd = -1;

 private:
  void run() {
    size_t pos = 0;
    while (!stop_ && pos < input_.size()) {
      if (held_) {
        idle_ = true;
        std::this_thread::sleep_for(2ms);
        continue;
      }
      idle_ = false;
      size_t n = std::min<size_t>(64 * 1024, input_.size() - pos);
      ssize_t w = ::write(write_fd_, input_.data() + pos, n);
      if (w < 0) {
        if (errno == EINTR) continue;
        break;
      }
      pos += static_cast<size_t>(w);
      written_ = pos;
    }
    finished_ = true;
    idle_ = true;
    while (!stop_ && !close_when_done_) std::this_thread::sleep_for(2ms);
    if (close_when_done_ && write_fd_ >= 0) {
      ::close(write_fd_);
      write_fd_ = -1;
    }
  }
  std::string input_;
  int write_fd_ = -1;
  std::thread thread_;
  std::atomic<bool> stop_{false}, held_{false}, idle_{false}, finished_{false}, close_when_done_{false};
  std::atomic<size_t> written_{0};
};

inline std::map<std::string, int> countBodies(const TestDrain& drain) {
  std::map<std::string, int> seen;
  for (const auto& b : drain.bodies()) seen[b] += 1;
  return seen;
}

inline size_t missing(const std::map<std::string, int>& seen, const std::string& input) {
  size_t n = 0;
  for (const auto& line : splitLines(input)) n += seen.count(line) == 0 ? 1 : 0;
  return n;
}

}  // namespace sluice::e2e
