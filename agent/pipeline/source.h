#pragma once
#include <functional>
#include <string>
#include <optional>

#include "agent/core/counters.h"
#include "agent/core/record.h"
#include "agent/core/result.h"

namespace sluice {

// A unique id for a new SourceInfo (the framer caches per-source header bytes by it).
uint32_t nextSourceId();

class Source {
 public:
  // The agent learns that a source has nothing more to give: EOF on stdin, a child that exited and whose
  // pipes are drained. Called once, from the loop, never from within a call the agent made.
  using FinishedFn = std::function<void(Source&)>;

  explicit Source(SourceInfo info) : info_(std::move(info)) { info_.id = nextSourceId(); }
  virtual ~Source() = default;
  Source(const Source&) = delete;
  Source& operator=(const Source&) = delete;

  virtual Status start() = 0;
  // Backpressure: stop reading (a pipe writer then blocks), and start again.
  virtual void pause() = 0;
  virtual void resume() = 0;
  // Shutdown: stop reading; what was read is routed, then the source finishes.
  virtual void stop() = 0;
  // Signals for a child process (exec); other sources ignore them.
  virtual void forwardSignal(int /*signum*/) {}
  // The child's exit status (exit code, or 128 + signal) once it exited.
  virtual std::optional<int> exitStatus() const { return std::nullopt; }
  // The running child's pid (exec), whose process tree GET /metrics/app samples.
  virtual std::optional<int> childPid() const { return std::nullopt; }
  // What it does, for the line Sluice logs at start ("3 files match /var/log/nginx/*.log"); no secrets. Called
  // after start().
  virtual std::string describe() const { return {}; }
  // Whether batches still hold acknowledgement entries of this source: a finished source is freed only when they
  // are resolved (a reload replaces sources while the sinks go on delivering what they read).
  virtual bool acksOutstanding() const { return false; }
  // A reload replaced this finished source and its acknowledgements are still outstanding (a drain is down): its
  // successor starts now rather than when they are resolved, and this one writes no more of the state they share
  // (a tail source's checkpoint and ack journal). The successor resumes from what this one wrote last, so lines in
  // flight may come twice, never not at all. False when it cannot yet, or ever (the default).
  virtual bool handOver() { return false; }

  bool finished() const { return finished_; }
  void onFinished(FinishedFn fn) { on_finished_ = std::move(fn); }
  const SourceInfo& info() const { return info_; }
  const ComponentCounters& counters() const { return counters_; }

 protected:
  void markFinished() {
    if (finished_) return;
    finished_ = true;
    if (on_finished_) on_finished_(*this);
  }

  SourceInfo info_;
  ComponentCounters counters_;

 private:
  bool finished_ = false;
  FinishedFn on_finished_;
};

}  // namespace sluice
