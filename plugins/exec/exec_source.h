#pragma once
// Runs a program and collects its stdout and stderr separately (stderr lines get their own severity). Signals
// sent to Sluice are forwarded to it; it finishes once the child exited and both pipes are drained.
#include <map>
#include <string>
#include <vector>

#include "agent/loop/loop.h"
#include "agent/pipeline/router.h"
#include "agent/sources/line_reader.h"
#include "agent/pipeline/source.h"

namespace sluice::plugins::exec {

struct ExecOptions {
  std::vector<std::string> command;
  std::map<std::string, std::string> env;   // added to Sluice's environment
  std::string working_dir;
  Severity stdout_severity = Severity::Info;
  Severity stderr_severity = Severity::Error;
  bool inherit_stdin = true;                // false: the child's stdin is /dev/null
  bool tee = false;                         // its stdout lines also to Sluice's stdout, stderr lines to stderr
};

class ExecSource : public Source {
 public:
  ExecSource(Loop& loop, Router& router, SourceInfo info, ExecOptions options, size_t max_line_bytes);
  ~ExecSource() override;

  // Fails (Error::code = the libuv error) when the program cannot be started.
  Status start() override;
  void pause() override;
  void resume() override;
  // Asks the child to end (SIGTERM); its last lines keep flowing until it exits.
  void stop() override;
  std::string describe() const override;
  void forwardSignal(int signum) override;
  std::optional<int> exitStatus() const override { return exited_ ? std::optional<int>(status_) : std::nullopt; }
  std::optional<int> childPid() const override {
    return running_ && !exited_ && process_ ? std::optional<int>(process_.get()->pid) : std::nullopt;
  }

 private:
  static constexpr uint64_t kPipeGraceMs = 2000;
  static void onExit(uv_process_t* process, int64_t exit_status, int term_signal) noexcept;
  static void onGraceTimer(uv_timer_t* timer) noexcept;
  void maybeFinish();

  Loop& loop_;
  Router& router_;
  ExecOptions options_;
  LineReader out_;
  LineReader err_;
  UvHandle<uv_process_t> process_;
  UvHandle<uv_timer_t> grace_timer_;
  bool running_ = false;
  bool exited_ = false;
  int status_ = 0;
};

}  // namespace sluice::plugins::exec
