#include "plugins/exec/exec_source.h"

#include <unistd.h>

#include <csignal>

extern char** environ;

namespace sluice::plugins::exec {

ExecSource::ExecSource(Loop& loop, Router& router, SourceInfo info, ExecOptions options, size_t max_line_bytes)
    : Source(std::move(info)),
      loop_(loop),
      router_(router),
      options_(std::move(options)),
      out_(loop, router, info_, options_.stdout_severity, max_line_bytes, counters_, [this](int) { maybeFinish(); }),
      err_(loop, router, info_, options_.stderr_severity, max_line_bytes, counters_, [this](int) { maybeFinish(); }) {
  if (options_.tee) {
    out_.echoTo(STDOUT_FILENO);
    err_.echoTo(STDERR_FILENO);
  }
}

ExecSource::~ExecSource() = default;

Status ExecSource::start() {
  if (options_.command.empty()) return makeError("exec: empty command");
  std::vector<char*> args;
  for (auto& a : options_.command) args.push_back(a.data());
  args.push_back(nullptr);

  // The child's environment: ours, with the configured variables added or replaced.
  std::vector<std::string> env_storage;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    std::string_view kv(*e);
    std::string key(kv.substr(0, kv.find('=')));
    if (options_.env.count(key) == 0) env_storage.emplace_back(kv);
  }
  for (const auto& [k, v] : options_.env) env_storage.push_back(k + "=" + v);
  std::vector<char*> env;
  for (auto& e : env_storage) env.push_back(e.data());
  env.push_back(nullptr);

  uv_stdio_container_t stdio[3];
  if (options_.inherit_stdin) {
    stdio[0].flags = UV_INHERIT_FD;
    stdio[0].data.fd = 0;
  } else {
    stdio[0].flags = UV_IGNORE;
  }
  stdio[1].flags = static_cast<uv_stdio_flags>(UV_CREATE_PIPE | UV_WRITABLE_PIPE);
  stdio[1].data.stream = reinterpret_cast<uv_stream_t*>(out_.createPipe());
  stdio[2].flags = static_cast<uv_stdio_flags>(UV_CREATE_PIPE | UV_WRITABLE_PIPE);
  stdio[2].data.stream = reinterpret_cast<uv_stream_t*>(err_.createPipe());

  uv_process_options_t opts{};
  opts.exit_cb = &ExecSource::onExit;
  opts.file = args[0];
  opts.args = args.data();
  opts.env = env.data();
  opts.cwd = options_.working_dir.empty() ? nullptr : options_.working_dir.c_str();
  opts.stdio_count = 3;
  opts.stdio = stdio;

  int rc = process_.initClosingOnError(this, [&](uv_process_t* p) { return uv_spawn(loop_.get(), p, &opts); });
  if (rc < 0) {
    process_.close();
    out_.stop();
    err_.stop();
    return makeError("cannot start '" + options_.command[0] + "': " + uv_strerror(rc), rc);
  }
  running_ = true;
  spdlog::info("source {}: started '{}' (pid {})", info_.name, options_.command[0], process_.get()->pid);
  if (router_.pausedFor(info_.name)) pause();
  out_.start();
  err_.start();
  return {};
}

void ExecSource::pause() {
  out_.pause();
  err_.pause();
}

void ExecSource::resume() {
  out_.resume();
  err_.resume();
}

void ExecSource::stop() { forwardSignal(SIGTERM); }

void ExecSource::forwardSignal(int signum) {
  if (!running_ || exited_ || !process_) return;
  int rc = uv_process_kill(process_.get(), signum);
  if (rc < 0 && rc != UV_ESRCH) {
    spdlog::warn("source {}: cannot send signal {} to the child: {}", info_.name, signum, uv_strerror(rc));
  }
}

void ExecSource::onExit(uv_process_t* process, int64_t exit_status, int term_signal) noexcept {
  ExecSource* self = ownerOf<ExecSource>(process);
  if (self == nullptr) return;
  self->exited_ = true;
  // As shells report it: the exit code, or 128 + the signal that killed it.
  self->status_ = term_signal != 0 ? 128 + term_signal : static_cast<int>(exit_status);
  if (term_signal != 0) {
    spdlog::info("source {}: the child was killed by signal {}", self->info_.name, term_signal);
  } else {
    spdlog::info("source {}: the child exited with status {}", self->info_.name, exit_status);
  }
  self->process_.close();
  // A grandchild may hold the pipes open after the child exited: what it writes within the grace period is
  // still read, then the source ends with the child.
  self->grace_timer_.init(self, [&](uv_timer_t* t) { return uv_timer_init(self->loop_.get(), t); });
  uv_timer_start(self->grace_timer_.get(), &ExecSource::onGraceTimer, kPipeGraceMs, 0);
  self->maybeFinish();
}

void ExecSource::onGraceTimer(uv_timer_t* timer) noexcept {
  ExecSource* self = ownerOf<ExecSource>(timer);
  if (self == nullptr) return;
  if (self->router_.pausedFor(self->info_.name)) {
    // Unread output may still sit in the pipes: wait until the sinks take it.
    uv_timer_start(timer, &ExecSource::onGraceTimer, kPipeGraceMs, 0);
    return;
  }
  self->out_.stop();
  self->err_.stop();
}

void ExecSource::maybeFinish() {
  if (exited_ && out_.ended() && err_.ended()) {
    grace_timer_.close();
    markFinished();
  }
}

std::string ExecSource::describe() const {
  std::string out = "runs";
  for (const std::string& arg : options_.command) out += " " + arg;
  if (process_.get() != nullptr) out += " (pid " + std::to_string(process_.get()->pid) + ")";
  return out;
}

}  // namespace sluice::plugins::exec
