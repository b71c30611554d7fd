#include "agent/app/agent.h"

#include <algorithm>
#include <csignal>
#include <map>

#include "agent/admin/admin_server.h"
#include "agent/core/log.h"
#include "agent/core/units.h"

namespace sluice {

Agent::Agent(Loop& loop, AgentConfig config) : loop_(loop), config_(std::move(config)) {}

Agent::~Agent() = default;

bool Agent::hasExec() const {
  for (const auto& s : sources_) {
    if (s->info().type == "exec") return true;
  }
  return false;
}

Result<std::unique_ptr<Source>> Agent::makeSource(const SourceConfig& sc, bool has_stdin_source) {
  const OptionValues& v = sc.values;
  if (sc.plugin == nullptr || sc.plugin->createSource == nullptr || sc.plugin_config == nullptr) {
    return Error{"source " + sc.name + ": type '" + sc.type + "' cannot be created"};
  }
  bool every_sink_spools = !sinks_.empty();
  for (const auto& sink : sinks_) every_sink_spools = every_sink_spools && sink->settings().buffer_mode == BufferMode::Always;
  SourceContext ctx{
      .loop = loop_,
      .router = router_,
      .info = SourceInfo{.id = 0, .name = sc.name, .type = sc.type},
      .max_line_bytes = v.size("max_line_bytes") > 0 ? v.size("max_line_bytes") : config_.agent.max_line_bytes,
      .state_dir = config_.agent.state_dir,
      .every_sink_spools = every_sink_spools,
      .has_stdin_source = has_stdin_source,
  };
  return sc.plugin->createSource(*sc.plugin_config, ctx);
}

Result<std::unique_ptr<SinkTransport>> Agent::makeTransport(const SinkConfig& sc) {
  SinkContext ctx{loop_, sc.settings.name, static_cast<size_t>(sc.settings.max_in_flight)};
  return sc.plugin->createSink(*sc.plugin_config, ctx);
}

Result<std::unique_ptr<SinkRunner>> Agent::makeSink(const SinkConfig& sc, std::unique_ptr<SinkTransport> transport) {
  auto runner = std::make_unique<SinkRunner>(loop_, sc.settings, config_.agent.hostname, sc.plugin_config->token(),
                                             std::move(transport));
  if (Status st = runner->openSpool(config_.agent.state_dir); !st) return st.takeError();
  return runner;
}

Status Agent::startSource(Source& source) {
  source.onFinished([this](Source& s) { onSourceFinished(s); });
  router_.addSource(&source);
  Status st = source.start();
  if (st) {
    std::string what = source.describe();
    spdlog::info("{} {}{}{}", source.info().type, source.info().name, what.empty() ? "" : ": ", what);
  }
  return st;
}

std::optional<Agent::StartError> Agent::start() {
  // Before any child starts: $NOTIFY_SOCKET is Sluice's, not its children's.
  notifier_ = SystemdNotifier::fromEnvironment();
  for (const SinkConfig& sc : config_.sinks) {
    if (!sc.settings.enabled) continue;
    auto transport = makeTransport(sc);
    if (!transport) {
      sinks_.clear();
      return StartError{transport.error().message, kExitConfigError};
    }
    auto runner = makeSink(sc, std::move(*transport));
    if (!runner) {
      sinks_.clear();
      return StartError{runner.error().message, kExitConfigError};
    }
    router_.addSink(runner->get(), SourceSelector(sc.settings.inputs));
    spdlog::info("sink {}: {}", sc.settings.name, (*runner)->describe());
    sinks_.push_back(std::move(*runner));
  }

  bool has_stdin = false;
  for (const SourceConfig& sc : config_.sources) {
    if (sc.values.boolean("enabled") && sc.type == "stdin") has_stdin = true;
  }
  for (const SourceConfig& sc : config_.sources) {
    if (!sc.values.boolean("enabled")) continue;
    auto source = makeSource(sc, has_stdin);
    if (!source) return StartError{source.error().message, kExitConfigError};
    sources_.push_back(std::move(*source));
  }

  if (auto failure = startAdmin()) {
    for (auto& sink : sinks_) sink->stop([] {});
    return failure;
  }

  signals_ = std::make_unique<SignalWatcher>(loop_, std::initializer_list<int>{SIGTERM, SIGINT, SIGHUP, SIGQUIT},
                                             [this](int signum) { onSignal(signum); });

  for (auto& source : sources_) {
    Status st = startSource(*source);
    if (!st) {
      const bool exec = source->info().type == "exec";
      spdlog::error("source {}: {}", source->info().name, st.error().message);
      // Nothing was read: stop what started and let the loop wind down.
      shutting_down_ = true;
      for (auto& other : sources_) {
        if (other.get() != source.get()) other->stop();
      }
      signals_->close();
      closeAdmin();
      for (auto& sink : sinks_) sink->stop([] {});
      return StartError{st.error().message, exec ? kExitCannotExec : kExitRuntimeError};
    }
  }
  startNotifier();
  return std::nullopt;
}

void Agent::freeRetiredSources() {
  std::erase_if(handed_over_, [](const auto& s) { return !s->acksOutstanding(); });
  std::vector<std::string> freed;
  const uint64_t now = loop_.nowMs();
  for (auto it = finished_retired_.begin(); it != finished_retired_.end();) {
    Source* source = it->source;
    const bool resolved = !source->acksOutstanding();
    const bool successor_waits = !shutting_down_ && waiting_replacements_.count(source->info().name) != 0;
    if (!resolved && !(successor_waits && now >= it->finished_ms + kHandOverAfterMs && source->handOver())) {
      ++it;
      continue;
    }
    freed.push_back(source->info().name);
    it = finished_retired_.erase(it);
    auto owned = std::find_if(sources_.begin(), sources_.end(), [&](const auto& p) { return p.get() == source; });
    if (owned == sources_.end()) continue;
    if (!resolved) handed_over_.push_back(std::move(*owned));
    sources_.erase(owned);
  }
  for (const std::string& name : freed) startReplacement(name);
  if (finished_retired_.empty() && handed_over_.empty()) {
    retired_timer_.close();
    return;
  }
  if (!retired_timer_) {
    if (retired_timer_.init(this, [this](uv_timer_t* t) { return uv_timer_init(loop_.get(), t); }) < 0) return;
    uv_unref(retired_timer_.handle());  // waiting for deliveries never keeps the agent alive by itself
    uv_timer_start(retired_timer_.get(), &Agent::onRetiredTimer, 50, 50);
  }
}

void Agent::onRetiredTimer(uv_timer_t* timer) noexcept {
  if (auto* self = ownerOf<Agent>(timer)) self->freeRetiredSources();
}

bool Agent::predecessorBusy(const std::string& name) const {
  auto named = [&](const Source* s) { return s->info().name == name; };
  return std::any_of(retired_sources_.begin(), retired_sources_.end(), named) ||
         std::any_of(finished_retired_.begin(), finished_retired_.end(),
                     [&](const FinishedRetired& r) { return named(r.source); });
}

void Agent::startReplacement(const std::string& name) {
  auto it = waiting_replacements_.find(name);
  if (it == waiting_replacements_.end() || predecessorBusy(name)) return;
  SourceConfig sc = std::move(it->second);
  waiting_replacements_.erase(it);
  if (shutting_down_) return;
  auto source = makeSource(sc, has_stdin_source_);
  if (!source) {
    spdlog::error("reload: source {} could not be created: {}", name, source.error().message);
    return;
  }
  Source& ref = **source;
  sources_.push_back(std::move(*source));
  if (Status st = startSource(ref); !st) spdlog::error("reload: source {} could not start: {}", name, st.error().message);
}

size_t Agent::activeSources() const {
  size_t n = waiting_replacements_.size();
  for (const auto& s : sources_) {
    if (!s->finished() && std::find(retired_sources_.begin(), retired_sources_.end(), s.get()) == retired_sources_.end()) {
      ++n;
    }
  }
  return n;
}

void Agent::onSourceFinished(Source& source) {
  router_.removeSource(&source);
  spdlog::debug("source {}: finished", source.info().name);
  auto retired = std::find(retired_sources_.begin(), retired_sources_.end(), &source);
  if (retired != retired_sources_.end()) {
    // Removed by a reload: it is done, free it on the next turn.
    retired_sources_.erase(retired);
    finished_retired_.push_back({&source, loop_.nowMs()});
    loop_.post([this] { freeRetiredSources(); });  // never inside the source's own callback
    return;
  }
  if (activeSources() == 0 && !reloading_) {
    shutting_down_ = true;
    drainSinks();
  }
}

void Agent::onSignal(int signum) {
  if (signum == SIGHUP) {
    for (auto& s : sources_) s->forwardSignal(signum);
    reload();
    return;
  }
  if (hasExec()) {
    // A wrapper: the child decides when to end; we end with it.
    spdlog::info("received signal {}, forwarding it to the child", signum);
    for (auto& s : sources_) s->forwardSignal(signum);
    return;
  }
  if (signum == SIGQUIT) return;
  if (!shutting_down_) {
    spdlog::info("received signal {}: stopping the sources, delivering what is queued (within {})", signum,
                 formatDuration(config_.agent.shutdown_timeout));
    shutting_down_ = true;
    if (notifier_) notifier_->send("STOPPING=1");
    stopSources();
    return;
  }
  // A second signal: give up on what is still queued, at once.
  spdlog::warn("received signal {} again: exiting now without waiting for delivery", signum);
  for (auto& s : sources_) s->stop();
  for (auto& sink : sinks_) sink->giveUp();
}

void Agent::stopSources() {
  for (auto& s : sources_) s->stop();
  if (activeSources() == 0) drainSinks();
}

void Agent::drainSinks() {
  if (draining_) return;
  draining_ = true;
  if (notifier_) notifier_->send("STOPPING=1");
  if (sinks_.empty()) {
    stopSinks();
    return;
  }
  startShutdownProgress();
  for (auto& sink : sinks_) {
    sink->drain(config_.agent.shutdown_timeout, [this] {
      if (++drained_sinks_ == sinks_.size()) stopSinks();
    });
  }
}

void Agent::stopSinks() {
  if (sinks_.empty()) {
    report();
    return;
  }
  for (auto& sink : sinks_) {
    sink->stop([this] {
      if (++stopped_sinks_ == sinks_.size()) report();
    });
  }
}

namespace {

// The counters' keys as a sentence says them.
std::string describeCount(uint64_t n, std::string_view key) {
  static const std::map<std::string_view, std::pair<const char*, const char*>> kWords = {
      {"buffer_full", {"message dropped (buffer full)", "messages dropped (buffer full)"}},
      {"shutdown", {"message not delivered within shutdown_timeout", "messages not delivered within shutdown_timeout"}},
      {"rejected", {"message rejected by the receiver", "messages rejected by the receiver"}},
      {"spool_corrupt", {"message lost to a damaged spool", "messages lost to a damaged spool"}},
      {"newline_splits", {"message split at its newlines", "messages split at their newlines"}},
      {"datagram_splits", {"message sent as several datagrams", "messages sent as several datagrams"}},
      {"truncated", {"message truncated to fit a datagram", "messages truncated to fit a datagram"}},
      {"unparsed_raw", {"unparsed line sent as raw", "unparsed lines sent as raw"}},
      {"unparsed_dropped", {"unparsed line left out", "unparsed lines left out"}},
  };
  auto it = kWords.find(key);
  if (it != kWords.end()) return countOf(n, it->second.first, it->second.second);
  std::string words(key);
  std::replace(words.begin(), words.end(), '_', ' ');
  return countOf(n, "message " + words, "messages " + words);
}

std::string describeCounts(const std::map<std::string, uint64_t>& counts) {
  std::string out;
  for (const auto& [key, n] : counts) {
    if (n > 0) out += (out.empty() ? "" : ", ") + describeCount(n, key);
  }
  return out;
}

}  // namespace

void Agent::report() {
  done_ = true;
  signals_->close();
  watchdog_timer_.close();
  status_timer_.close();
  shutdown_timer_.close();
  closeAdmin();
  uint64_t read = 0;
  for (const auto& s : sources_) read += s->counters().received_events;
  lost_ = 0;
  uint64_t spooled = 0;
  for (const auto& sink : sinks_) {
    const ComponentCounters& c = sink->counters();
    const uint64_t sink_spooled = sink->spooledEvents();
    lost_ += c.droppedTotal();
    spooled += sink_spooled;
    // Delivered, kept for the next start, lost: a line in the spool is neither delivered nor lost.
    std::string text = "sink " + sink->name() + ": " + countOf(c.sent_events, "message") + " delivered";
    if (sink_spooled > 0) text += ", " + countOf(sink_spooled, "message") + " spooled for the next start";
    if (c.droppedTotal() > 0) {
      spdlog::error("{}, {} NOT delivered: {}", text, countOf(c.droppedTotal(), "message"), describeCounts(c.dropped));
    } else {
      spdlog::info("{}", text);
    }
    // What the sink's plugin changed or left out on purpose, as configured.
    if (std::string events = describeCounts(c.plugin_events); !events.empty()) {
      spdlog::info("sink {}: {}", sink->name(), events);
    }
  }
  const std::string lines = countOf(read, "line") + " read";
  if (lost_ > 0) {
    spdlog::error("{}; {} were lost{}", lines, countOf(lost_, "message"),
                  spooled > 0 ? "; " + countOf(spooled, "message") + " spooled for the next start" : "");
  } else if (spooled > 0) {
    spdlog::info("{}; {} spooled for the next start, the rest delivered", lines, countOf(spooled, "message"));
  } else {
    spdlog::info("{}, all delivered", lines);
  }
}

int Agent::exitCode() const {
  for (const auto& s : sources_) {
    if (auto status = s->exitStatus()) return *status;
  }
  if (!done_) return kExitRuntimeError;
  return lost_ > 0 ? kExitRuntimeError : kExitOk;
}

}  // namespace sluice
