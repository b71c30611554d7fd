#pragma once
// The agent's life: builds sinks (plugins) and sources from the config, runs them, and shuts down when the
// sources are done or a signal says so: stop reading, deliver what is queued within shutdown_timeout, report
// what was lost, exit.
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "agent/config/agent_config.h"
#include "agent/loop/loop.h"
#include "agent/loop/signals.h"
#include "agent/pipeline/router.h"
#include "agent/plugin/registry.h"
#include "agent/sink/sink_runner.h"
#include "agent/sources/source.h"

namespace sluice {

class AdminServer;

// Exit codes (shared/CONFIG.md).
inline constexpr int kExitOk = 0;
inline constexpr int kExitRuntimeError = 1;
inline constexpr int kExitConfigError = 2;
inline constexpr int kExitCannotExec = 127;

class Agent {
 public:
  Agent(Loop& loop, AgentConfig config);
  ~Agent();
  Agent(const Agent&) = delete;
  Agent& operator=(const Agent&) = delete;

  struct StartError {
    std::string message;
    int exit_code;
  };
  // Creates and starts every sink and source. On failure nothing keeps running and the loop can be closed.
  std::optional<StartError> start();

  // Once the loop has returned: the exit status (a wrapped child's own, else 0, or 1 if anything was lost).
  int exitCode() const;

  const std::vector<std::unique_ptr<SinkRunner>>& sinks() const { return sinks_; }
  const std::vector<std::unique_ptr<Source>>& sources() const { return sources_; }
  bool stopping() const { return shutting_down_; }
  // The admin API's port once it listens (0 when it is off).
  uint16_t adminPort() const;

 private:
  Result<std::unique_ptr<Source>> makeSource(const SourceConfig& config, bool has_stdin_source);
  void onSourceFinished(Source& source);
  void onSignal(int signum);
  void stopSources();
  void drainSinks();
  void stopSinks();
  void report();
  bool hasExec() const;
  // agent_admin.cc: the admin API (api: section), started before the sources, closed after the report.
  std::optional<StartError> startAdmin();
  void closeAdmin();

  Loop& loop_;
  AgentConfig config_;
  Router router_;
  std::vector<std::unique_ptr<SinkRunner>> sinks_;
  std::vector<std::unique_ptr<Source>> sources_;
  std::unique_ptr<SignalWatcher> signals_;
  size_t finished_sources_ = 0;
  size_t drained_sinks_ = 0;
  size_t stopped_sinks_ = 0;
  bool shutting_down_ = false;
  bool draining_ = false;
  bool done_ = false;
  uint64_t lost_ = 0;
  std::unique_ptr<AdminServer> admin_;
};

}  // namespace sluice
