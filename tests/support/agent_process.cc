#include "tests/support/agent_process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <sstream>
#include <thread>

#include "tests/support/files.h"

namespace sluice {
namespace {

// A "Name:   1234 kB" line of /proc/<pid>/status, in KiB; 0 when the process or the line is not there.
long statusKb(pid_t pid, const std::string& name) {
  std::istringstream in(readFile("/proc/" + std::to_string(pid) + "/status"));
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(name + ":", 0) == 0) return std::atol(line.c_str() + name.size() + 1);
  }
  return 0;
}

}  // namespace

AgentProcess::AgentProcess(Options options) : options_(std::move(options)) {
  if (options_.binary.empty()) options_.binary = SLUICE_BINARY;
  int in_pipe[2] = {-1, -1};
  if (options_.stdin_file.empty() && !options_.close_stdin && options_.stdin_fd < 0) {
    if (pipe2(in_pipe, O_CLOEXEC) != 0) return;
  }
  std::vector<std::string> argv_storage{options_.binary};
  argv_storage.insert(argv_storage.end(), options_.args.begin(), options_.args.end());
  std::vector<char*> argv;
  for (auto& a : argv_storage) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::string out_path = options_.dir + "/stdout.txt";
  std::string err_path = options_.dir + "/stderr.txt";

  pid_ = fork();
  if (pid_ == 0) {
    int in_fd;
    if (options_.stdin_fd >= 0) {
      in_fd = options_.stdin_fd;
    } else if (!options_.stdin_file.empty()) {
      in_fd = open(options_.stdin_file.c_str(), O_RDONLY);
    } else if (options_.close_stdin) {
      in_fd = open("/dev/null", O_RDONLY);
    } else {
      in_fd = in_pipe[0];
    }
    int out_fd = open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int err_fd = open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(in_fd, 0);
    dup2(out_fd, 1);
    dup2(err_fd, 2);
    for (const auto& [k, v] : options_.env) setenv(k.c_str(), v.c_str(), 1);
    // Sanitizer reports must fail the test, not just print.
    // A small quarantine: ASan's default keeps 256 MB of freed memory, which would hide what RSS bounds measure.
    setenv("ASAN_OPTIONS",
           options_.measures_rss ? "detect_leaks=1:abort_on_error=0:exitcode=86:quarantine_size_mb=4"
                                 : "detect_leaks=1:abort_on_error=0:exitcode=86:quarantine_size_mb=16",
           0);
    setenv("UBSAN_OPTIONS", "print_stacktrace=1:halt_on_error=1:exitcode=87", 0);
    execv(argv[0], argv.data());
    _exit(126);
  }
  if (in_pipe[0] >= 0) close(in_pipe[0]);
  stdin_fd_ = in_pipe[1];
}

AgentProcess::~AgentProcess() {
  closeStdin();
  if (pid_ > 0 && !status_) {
    kill(pid_, SIGKILL);
    int st;
    wait4(pid_, &st, 0, &usage_);
  }
}

bool AgentProcess::write(std::string_view data) { return writeAll(stdin_fd_, data); }

void AgentProcess::closeStdin() {
  if (stdin_fd_ >= 0) close(stdin_fd_);
  stdin_fd_ = -1;
}

void AgentProcess::signal(int signum) {
  if (pid_ > 0 && !status_) kill(pid_, signum);
}

bool AgentProcess::running() { return !wait(std::chrono::milliseconds(0)).has_value(); }

std::optional<int> AgentProcess::wait(std::chrono::milliseconds deadline) {
  if (status_) return status_;
  auto end = std::chrono::steady_clock::now() + deadline;
  while (true) {
    int st = 0;
    pid_t r = wait4(pid_, &st, WNOHANG, &usage_);
    if (r == pid_) {
      status_ = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
      return status_;
    }
    samplePeakRssKb();
    if (std::chrono::steady_clock::now() >= end) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

long AgentProcess::samplePeakRssKb() {
  // Between fork and exec the child is a copy of this process, and its VmHWM is ours: wait for the exec.
  if (!exec_seen_) {
    char mine[4096] = {}, child[4096] = {};
    ssize_t a = readlink("/proc/self/exe", mine, sizeof mine - 1);
    ssize_t b = readlink(("/proc/" + std::to_string(pid_) + "/exe").c_str(), child, sizeof child - 1);
    if (a <= 0 || b <= 0 || std::strcmp(mine, child) == 0) return peak_rss_kb_;
    exec_seen_ = true;
  }
  peak_rss_kb_ = std::max(peak_rss_kb_, statusKb(pid_, "VmHWM"));
  return peak_rss_kb_;
}

long AgentProcess::currentRssKb() const { return statusKb(pid_, "VmRSS"); }

std::string AgentProcess::stdoutText() const { return readFile(options_.dir + "/stdout.txt"); }
std::string AgentProcess::stderrText() const { return readFile(options_.dir + "/stderr.txt"); }

std::string AgentProcess::sanitizerReport() const {
  std::string err = stderrText();
  for (const char* marker : {"ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:", "Segmentation fault"}) {
    size_t pos = err.find(marker);
    if (pos != std::string::npos) return err.substr(pos > 200 ? pos - 200 : 0, 4000);
  }
  return "";
}

std::string numberedLines(size_t first, size_t count, size_t width, const std::string& prefix) {
  std::string out;
  char num[32];
  for (size_t i = first; i < first + count; ++i) {
    snprintf(num, sizeof num, "%s-%08zu", prefix.c_str(), i);
    std::string line = num;
    if (line.size() < width) line.append(width - line.size(), 'x');
    out += line;
    out += '\n';
  }
  return out;
}

}  // namespace sluice
