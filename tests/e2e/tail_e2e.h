#pragma once
// Helpers of the tail source's end-to-end tests: a writer that appends to a log file and rotates it the ways
// logrotate and container runtimes do, and the config of a tail source.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "tests/e2e/e2e.h"

namespace sluice::e2e {

// Appends with O_APPEND, as loggers do (after a copytruncate the next write lands at the new end).
class LogWriter {
 public:
  explicit LogWriter(std::string path) : path_(std::move(path)) { reopen(); }
  ~LogWriter() { ::close(fd_); }
  LogWriter(const LogWriter&) = delete;
  LogWriter& operator=(const LogWriter&) = delete;

  void write(std::string_view data) {
    while (!data.empty()) {
      ssize_t n = ::write(fd_, data.data(), data.size());
      REQUIRE(n > 0);
      data.remove_prefix(static_cast<size_t>(n));
    }
  }
  // logrotate's default (and Docker's, and the kubelet's): rename, then the writer creates a new file.
  void rotateByRename(const std::string& to) {
    REQUIRE(::rename(path_.c_str(), to.c_str()) == 0);
    reopen();
  }
  // logrotate's copytruncate: copy the file, then truncate it in place; the writer keeps its descriptor.
  void copyTruncate(const std::string& to) {
    std::filesystem::copy_file(path_, to);
    REQUIRE(::truncate(path_.c_str(), 0) == 0);
  }

 private:
  void reopen() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    REQUIRE(fd_ >= 0);
  }

  std::string path_;
  int fd_ = -1;
};

// logs/app.log under the test's directory, the folder made (the file is not).
inline std::string appLog(const Env& env) {
  std::filesystem::create_directories(env.dir.file("logs"));
  return env.dir.file("logs/app.log");
}

// A tail source named `files` on `paths` (a YAML flow list), with `extra` lines (indented by 4 spaces).
inline std::string tailSource(const std::string& paths, const std::string& extra = "",
                              const std::string& start_at = "beginning", const std::string& poll = "100ms") {
  return "  - name: files\n    type: tail\n    paths: " + paths + "\n    start_at: " + start_at +
         "\n    poll_interval: " + poll + "\n    refresh_interval: 500ms\n"
         "    checkpoint_interval: 100ms\n" + extra;
}

// The numbered line's index ("line-00001234xxx" -> 1234), or -1.
inline long lineIndex(std::string_view body) {
  if (body.substr(0, 5) != "line-" || body.size() < 13) return -1;
  return std::stol(std::string(body.substr(5, 8)));
}

// How often each of the numbered lines 0 .. total-1 is among `bodies`; any other line fails the test.
inline std::vector<int> lineCounts(const std::vector<std::string>& bodies, size_t total) {
  std::vector<int> count(total, 0);
  for (const auto& b : bodies) {
    long i = lineIndex(b);
    if (i < 0 || static_cast<size_t>(i) >= total) FAIL("unexpected line " << b);
    ++count[static_cast<size_t>(i)];
  }
  return count;
}

// Waits for numberedLines(0, count, width) at the drain, stops the agent and checks that each line came once,
// in order.
inline void checkAllDelivered(AgentProcess& agent, TestDrain& drain, size_t count, size_t width) {
  REQUIRE(drain.waitForMessages(count, 30s));
  CHECK(terminateAndFinish(agent) == 0);
  CHECK(firstDifference(drain.bodies(), splitLines(numberedLines(0, count, width))) == "");
}

}  // namespace sluice::e2e
