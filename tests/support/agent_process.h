#pragma once
// The real sluice binary as a child process for end-to-end tests: stdin through a pipe (or a file), stdout and
// stderr captured to files (no pipe to fill up), signals, and a wait with a deadline.
#include <sys/resource.h>
#include <sys/types.h>

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace sluice {

class AgentProcess {
 public:
  struct Options {
    std::vector<std::string> args;                 // after the program name
    std::map<std::string, std::string> env;        // added to the test's environment
    std::string stdin_file;                        // read stdin from this file instead of a pipe
    bool close_stdin = false;                      // start with stdin at EOF (/dev/null)
    int stdin_fd = -1;                             // use this fd (a pipe the test holds) as stdin
    std::string dir;                               // where stdout.txt / stderr.txt go (required)
    std::string binary;                            // default: the sluice built with the tests
    // The test bounds the agent's RSS: AddressSanitizer's quarantine of freed memory (16 MB for other tests)
    // is cut to 4 MB, so that it fills before the baseline is sampled and its filling is not measured as growth.
    bool measures_rss = false;
  };

  explicit AgentProcess(Options options);
  ~AgentProcess();  // SIGKILL if still running
  AgentProcess(const AgentProcess&) = delete;
  AgentProcess& operator=(const AgentProcess&) = delete;

  pid_t pid() const { return pid_; }
  // Writes all of `data` to the agent's stdin (blocks while the pipe is full); false if the pipe is closed.
  bool write(std::string_view data);
  void closeStdin();
  void signal(int signum);
  // The exit status (exit code, or 128 + signal) once it ended within `deadline`.
  std::optional<int> wait(std::chrono::milliseconds deadline);
  bool running();

  // The child's CPU times once wait() saw it end. (Its ru_maxrss is useless: it includes the parent's pages
  // between fork and exec.)
  const struct rusage& usage() const { return usage_; }
  // Peak RSS of the running program (VmHWM of its own image), in KiB; sampled, so call it while it runs.
  long samplePeakRssKb();
  // Resident memory now (VmRSS), in KiB; 0 once the process is gone.
  long currentRssKb() const;
  long peakRssKb() const { return peak_rss_kb_; }

  std::string stdoutText() const;
  std::string stderrText() const;
  // Sanitizer reports or crashes in stderr, "" when clean.
  std::string sanitizerReport() const;

 private:
  Options options_;
  pid_t pid_ = -1;
  int stdin_fd_ = -1;
  std::optional<int> status_;
  struct rusage usage_ {};
  long peak_rss_kb_ = 0;
  bool exec_seen_ = false;   // the child runs its own program (before that, its memory is a copy of ours)
};

// Lines "prefix-000001 ... " for tests: `count` lines numbered from `first`, each `width` bytes (without newline).
std::string numberedLines(size_t first, size_t count, size_t width = 0, const std::string& prefix = "line");

}  // namespace sluice
