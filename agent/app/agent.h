#pragma once
// The agent's life: builds sinks (plugins) and sources from the config, runs them, reloads on SIGHUP, and shuts
// down when the sources are done or a signal says so: stop reading, deliver what is queued within
// shutdown_timeout, spool the rest, report what was lost, exit. Talks to systemd when it runs under it.
#include <functional>
#include <map>
#include <set>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "agent/app/systemd_notify.h"
#include "agent/app/agent_config.h"
#include "agent/loop/loop.h"
#include "agent/loop/signals.h"
#include "agent/pipeline/router.h"
#include "agent/plugin/registry.h"
#include "agent/sink/sink_runner.h"
#include "agent/pipeline/source.h"

namespace sluice {

class AdminServer;

// Exit codes (shared/CONFIG.md).
inline constexpr int kExitOk = 0;
inline constexpr int kExitRuntimeError = 1;
inline constexpr int kExitConfigError = 2;
inline constexpr int kExitCannotExec = 127;

class Agent {
 public:
  // Loads the configuration again for a reload (SIGHUP); empty when there is no file to reload (quick mode).
  using Reloader = std::function<std::optional<AgentConfig>(ConfigErrors& errors)>;

  Agent(Loop& loop, AgentConfig config);
  ~Agent();
  Agent(const Agent&) = delete;
  Agent& operator=(const Agent&) = delete;

  void setReloader(Reloader reloader) { reloader_ = std::move(reloader); }

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
  // A sink in two steps, so that a reload can check every new transport (certificates, files) before it retires
  // anything, and open the spool only once the sink it replaces has closed it.
  Result<std::unique_ptr<SinkTransport>> makeTransport(const SinkConfig& config);
  Result<std::unique_ptr<SinkRunner>> makeSink(const SinkConfig& config, std::unique_ptr<SinkTransport> transport);
  Result<std::unique_ptr<Source>> makeSource(const SourceConfig& config, bool has_stdin_source);
  Status startSource(Source& source);
  void onSourceFinished(Source& source);
  void onSignal(int signum);
  void stopSources();
  void drainSinks();
  void stopSinks();
  void report();
  bool hasExec() const;
  size_t activeSources() const;

  // agent_reload.cc
  void reload();
  void applyReload(AgentConfig fresh, std::map<std::string, std::unique_ptr<SinkTransport>> transports);
  void finishReload(AgentConfig fresh, std::map<std::string, std::unique_ptr<SinkTransport>> transports);
  // The steps of finishReload; what each did goes into the summary it logs.
  struct ReloadSummary {
    std::vector<std::string> restarted, added, removed, kept_as_was;
    std::vector<SourceConfig> applied;   // the sources' config from now on
    std::set<std::string> running;       // sources that keep running as they are
  };
  void reloadSinks(const AgentConfig& fresh, std::map<std::string, std::unique_ptr<SinkTransport>>& transports,
                   ReloadSummary& summary);
  void retireChangedSources(const AgentConfig& fresh, ReloadSummary& summary);
  void startNewSources(const AgentConfig& fresh, bool has_stdin, ReloadSummary& summary);

  // agent_status.cc
  void startNotifier();
  void sendStatus(bool ready);
  static void onWatchdog(uv_timer_t* timer) noexcept;
  static void onStatusTimer(uv_timer_t* timer) noexcept;
  // A shutdown that waits says what for, once a second, in the log and in systemd's STATUS.
  void startShutdownProgress();
  void reportShutdownProgress();
  static void onShutdownTimer(uv_timer_t* timer) noexcept;
  // agent_admin.cc: the admin API (api: section), started before the sources, closed after the report.
  std::optional<StartError> startAdmin();
  void closeAdmin();

  Loop& loop_;
  AgentConfig config_;
  Reloader reloader_;
  Router router_;
  std::vector<std::unique_ptr<SinkRunner>> sinks_;
  std::vector<std::unique_ptr<Source>> sources_;
  // Replaced or removed by a reload: finishing their work, then freed.
  std::vector<std::unique_ptr<SinkRunner>> retired_sinks_;
  // The counts of sinks a reload stopped, until their successors (same name) take them over.
  std::map<std::string, std::pair<ComponentCounters, LatencyHistogram>> carried_counters_;
  std::vector<Source*> retired_sources_;
  // Replacements (reload) of sources that are still finishing under the same name: started once the old one is
  // done, so that the two never share a checkpoint, an ack journal or a listening port.
  std::map<std::string, SourceConfig> waiting_replacements_;
  bool has_stdin_source_ = false;
  void startReplacement(const std::string& name);
  // A source of that name retired by a reload is still finishing, or still waiting for its acknowledgements.
  bool predecessorBusy(const std::string& name) const;
  // Retired sources that finished but whose acknowledgement entries batches still hold: freed once they are
  // resolved (checked on a short timer), then their replacement starts; or, when that takes longer than
  // kHandOverAfterMs (a drain is down), handed over (Source::handOver) and the replacement started, so that no
  // file's rotation goes unfollowed while the drain stays down.
  struct FinishedRetired {
    Source* source;
    uint64_t finished_ms;
  };
  static constexpr uint64_t kHandOverAfterMs = 1000;
  std::vector<FinishedRetired> finished_retired_;
  // Handed over, out of sources_ (their successor has the name): freed once their acknowledgements are resolved.
  std::vector<std::unique_ptr<Source>> handed_over_;
  UvHandle<uv_timer_t> retired_timer_;
  void freeRetiredSources();
  static void onRetiredTimer(uv_timer_t* timer) noexcept;
  std::unique_ptr<SignalWatcher> signals_;
  std::unique_ptr<SystemdNotifier> notifier_;
  UvHandle<uv_timer_t> watchdog_timer_;
  UvHandle<uv_timer_t> status_timer_;
  UvHandle<uv_timer_t> shutdown_timer_;       // once a second while the shutdown waits for sinks
  int64_t shutdown_deadline_ms_ = 0;
  uint64_t status_last_lines_ = 0;
  int64_t status_last_us_ = 0;
  size_t drained_sinks_ = 0;
  size_t stopped_sinks_ = 0;
  bool shutting_down_ = false;
  bool draining_ = false;
  bool reloading_ = false;
  bool done_ = false;
  uint64_t lost_ = 0;
  std::unique_ptr<AdminServer> admin_;
};

}  // namespace sluice
