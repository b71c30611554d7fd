// SIGHUP: the configuration is read again. Sinks and sources that did not change keep running (connections,
// queues, spools); a changed sink is drained into its spool (or, without one, delivers within shutdown_timeout)
// and restarted; an invalid new configuration is refused and the running one stays.
#include <map>
#include <set>

#include "agent/app/agent.h"
#include "agent/core/log.h"
#include "agent/core/log_setup.h"
#include "agent/formats/json_log_formatter.h"

namespace sluice {
namespace {

std::string sinkFingerprint(const SinkConfig& c) { return c.settings.type + "\n" + c.values.fingerprint(); }
std::string sourceFingerprint(const SourceConfig& c) { return c.type + "\n" + c.values.fingerprint(); }

const SinkConfig* findSink(const AgentConfig& config, const std::string& name) {
  for (const SinkConfig& s : config.sinks) {
    if (s.settings.enabled && s.settings.name == name) return &s;
  }
  return nullptr;
}

const SourceConfig* findSource(const AgentConfig& config, const std::string& name) {
  for (const SourceConfig& s : config.sources) {
    if (s.values.boolean("enabled") && s.name == name) return &s;
  }
  return nullptr;
}

// stdin and the exec child cannot be taken over by a new source object.
bool restartable(const std::string& type) { return type != "stdin" && type != "exec"; }

std::string joinNames(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out.empty() ? "none" : out;
}

}  // namespace

void Agent::reload() {
  for (auto& sink : sinks_) sink->reopen();
  if (!reloader_) {
    spdlog::info("SIGHUP: files reopened (quick mode has no configuration file to reload)");
    return;
  }
  if (reloading_ || shutting_down_) {
    spdlog::warn("SIGHUP ignored: {}", reloading_ ? "a reload is under way" : "shutting down");
    return;
  }
  ConfigErrors errors;
  std::optional<AgentConfig> fresh = reloader_(errors);
  if (!fresh) {
    spdlog::error("reload refused; the running configuration stays. The new one has {} error(s):", errors.size());
    for (const auto& e : errors.messages()) spdlog::error("  {}", e);
    return;
  }
  if (fresh->agent.state_dir != config_.agent.state_dir) {
    spdlog::warn("agent.state_dir changes take effect at the next start; {} stays in use", config_.agent.state_dir);
    fresh->agent.state_dir = config_.agent.state_dir;
  }
  if (!(fresh->api == config_.api)) {
    // The admin API keeps its listener, ring and live streams through a reload.
    spdlog::warn("api: changes take effect at the next start; the admin API keeps running as it was");
    fresh->api = config_.api;
  }
  const bool hostname_changed = fresh->agent.hostname != config_.agent.hostname;
  // Every new or changed sink's transport is built first: a certificate or file that does not load refuses the
  // reload before anything running is touched.
  std::map<std::string, std::unique_ptr<SinkTransport>> transports;
  for (const SinkConfig& sc : fresh->sinks) {
    if (!sc.settings.enabled) continue;
    const SinkConfig* old = findSink(config_, sc.settings.name);
    if (old != nullptr && !hostname_changed && sinkFingerprint(*old) == sinkFingerprint(sc)) continue;
    auto t = makeTransport(sc);
    if (!t) {
      spdlog::error("reload refused; the running configuration stays: {}", t.error().message);
      return;
    }
    transports[sc.settings.name] = std::move(*t);
  }
  if (notifier_) notifier_->send("RELOADING=1");
  applyReload(std::move(*fresh), std::move(transports));
}

void Agent::applyReload(AgentConfig fresh, std::map<std::string, std::unique_ptr<SinkTransport>> transports) {
  reloading_ = true;
  if (fresh.agent.log_level != config_.agent.log_level || fresh.agent.log_format != config_.agent.log_format) {
    setupLogging(fresh.agent.log_level, logFormatter(fresh.agent.log_format));
  }
  // Sinks that go (changed or removed) stop taking records, spill into their spool and close; the sources wait
  // meanwhile, so that no record goes to a sink that is leaving and none is missed by the one that replaces it.
  std::vector<SinkRunner*> leaving;
  for (auto& sink : sinks_) {
    const SinkConfig* wanted = findSink(fresh, sink->name());
    if (wanted == nullptr || transports.count(sink->name()) != 0) leaving.push_back(sink.get());
  }
  if (leaving.empty()) {
    finishReload(std::move(fresh), std::move(transports));
    return;
  }
  router_.hold(true);
  auto remaining = std::make_shared<size_t>(leaving.size());
  auto pending = std::make_shared<std::pair<AgentConfig, std::map<std::string, std::unique_ptr<SinkTransport>>>>(
      std::move(fresh), std::move(transports));
  for (SinkRunner* r : leaving) {
    router_.removeSink(r);
    auto it = std::find_if(sinks_.begin(), sinks_.end(), [r](const auto& p) { return p.get() == r; });
    retired_sinks_.push_back(std::move(*it));
    sinks_.erase(it);
    // With a spool: at once (it is spilled). Without: deliver what it holds within shutdown_timeout.
    auto timeout = r->hasSpool() ? std::chrono::milliseconds(0) : config_.agent.shutdown_timeout;
    r->drain(timeout, [this, r, remaining, pending] {
      r->stop([this, remaining, pending] {
        if (--*remaining > 0) return;
        loop_.post([this, pending] {
          for (const auto& retired : retired_sinks_) {
            carried_counters_[retired->name()] = {retired->counters(), retired->latency()};
          }
          retired_sinks_.clear();
          finishReload(std::move(pending->first), std::move(pending->second));
        });
      });
    });
  }
}

void Agent::reloadSinks(const AgentConfig& fresh, std::map<std::string, std::unique_ptr<SinkTransport>>& transports,
                        ReloadSummary& summary) {
  for (const SinkConfig& sc : config_.sinks) {
    if (sc.settings.enabled && findSink(fresh, sc.settings.name) == nullptr) {
      summary.removed.push_back("sink " + sc.settings.name);
    }
  }
  for (const SinkConfig& sc : fresh.sinks) {
    auto t = transports.find(sc.settings.name);
    if (t == transports.end()) continue;
    auto runner = makeSink(sc, std::move(t->second));
    if (!runner) {
      spdlog::error("reload: sink {} could not start: {}", sc.settings.name, runner.error().message);
      continue;
    }
    if (auto carried = carried_counters_.find(sc.settings.name); carried != carried_counters_.end()) {
      (*runner)->carryOver(carried->second.first, carried->second.second);
      carried_counters_.erase(carried);
    }
    router_.addSink(runner->get(), SourceSelector(sc.settings.inputs));
    sinks_.push_back(std::move(*runner));
    (findSink(config_, sc.settings.name) != nullptr ? summary.restarted : summary.added).push_back("sink " + sc.settings.name);
  }
}

// Unchanged sources keep running; changed ones are stopped (and replaced by startNewSources), except stdin and
// exec, which keep what they had until the next start.
void Agent::retireChangedSources(const AgentConfig& fresh, ReloadSummary& summary) {
  for (auto& src : sources_) {
    if (src->finished() || std::find(retired_sources_.begin(), retired_sources_.end(), src.get()) != retired_sources_.end()) {
      continue;
    }
    const std::string& name = src->info().name;
    const SourceConfig* wanted = findSource(fresh, name);
    const SourceConfig* old = findSource(config_, name);
    bool changed = wanted == nullptr || old == nullptr || sourceFingerprint(*wanted) != sourceFingerprint(*old);
    if (wanted != nullptr && changed && !restartable(src->info().type)) {
      spdlog::warn("reload: changes to source {} ({}) take effect at the next start; it keeps running as it was", name,
                   src->info().type);
      summary.kept_as_was.push_back("source " + name);
      changed = false;
    }
    if (!changed) {
      summary.applied.push_back(*old);
      summary.running.insert(name);
      continue;
    }
    src->stop();  // finishes on its own; freed then (onSourceFinished)
    retired_sources_.push_back(src.get());
    if (wanted == nullptr) summary.removed.push_back("source " + name);
  }
}

void Agent::startNewSources(const AgentConfig& fresh, bool has_stdin, ReloadSummary& summary) {
  for (auto it = waiting_replacements_.begin(); it != waiting_replacements_.end();) {
    const SourceConfig* wanted = findSource(fresh, it->first);
    it = wanted == nullptr || !wanted->values.boolean("enabled") ? waiting_replacements_.erase(it) : std::next(it);
  }
  for (const SourceConfig& sc : fresh.sources) {
    if (!sc.values.boolean("enabled") || summary.running.count(sc.name) != 0) continue;
    auto& verb = findSource(config_, sc.name) != nullptr ? summary.restarted : summary.added;
    if (predecessorBusy(sc.name)) {
      // It starts once its predecessor has finished (written its last checkpoint, closed its port).
      waiting_replacements_[sc.name] = sc;
      summary.applied.push_back(sc);
      verb.push_back("source " + sc.name);
      continue;
    }
    auto source = makeSource(sc, has_stdin);
    if (!source) {
      spdlog::error("reload: source {} could not be created: {}", sc.name, source.error().message);
      continue;
    }
    Source& ref = **source;
    sources_.push_back(std::move(*source));
    if (Status st = startSource(ref); !st) {
      spdlog::error("reload: source {} could not start: {}", sc.name, st.error().message);
      continue;
    }
    summary.applied.push_back(sc);
    verb.push_back("source " + sc.name);
  }
}

void Agent::finishReload(AgentConfig fresh, std::map<std::string, std::unique_ptr<SinkTransport>> transports) {
  ReloadSummary summary;
  reloadSinks(fresh, transports, summary);
  // The agent's own settings apply to what is built from here on.
  config_.agent = fresh.agent;
  bool has_stdin = false;
  for (const SourceConfig& sc : fresh.sources) {
    if (sc.values.boolean("enabled") && sc.type == "stdin") has_stdin = true;
  }
  retireChangedSources(fresh, summary);
  has_stdin_source_ = has_stdin;
  startNewSources(fresh, has_stdin, summary);
  config_.sources = std::move(summary.applied);
  config_.sinks = std::move(fresh.sinks);
  router_.hold(false);
  reloading_ = false;
  spdlog::info("reloaded {}: restarted {}; added {}; removed {}; unchanged: everything else{}", config_.file,
               joinNames(summary.restarted), joinNames(summary.added), joinNames(summary.removed),
               summary.kept_as_was.empty() ? "" : "; kept as before: " + joinNames(summary.kept_as_was));
  sendStatus(true);
  if (activeSources() == 0) {
    shutting_down_ = true;
    drainSinks();
  }
}

}  // namespace sluice
