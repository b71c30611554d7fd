#include "agent/pipeline/router.h"

namespace sluice {

void Router::addSink(LineSink* sink, SourceSelector inputs) {
  sinks_.push_back(Route{sink, std::move(inputs), sink->holdingSources()});
  sink->onPressure([this, sink](bool full) { onPressure(sink, full); });
  sinksChanged();
  notify();
}

void Router::removeSink(LineSink* sink) {
  sinks_.erase(std::remove_if(sinks_.begin(), sinks_.end(), [sink](const Route& r) { return r.sink == sink; }),
               sinks_.end());
  sink->onPressure(nullptr);
  sinksChanged();
  notify();
}

void Router::addSource(Source* source) {
  // A source looks at pausedFor() when it starts: it begins in the state it is recorded in here.
  sources_.push_back(SourceState{source, pausedFor(source->info().name)});
}

void Router::removeSource(Source* source) {
  sources_.erase(std::remove_if(sources_.begin(), sources_.end(),
                                [source](const SourceState& s) { return s.source == source; }),
                 sources_.end());
}

const std::vector<LineSink*>& Router::lookUpTargets(const SourceInfo* source, uint32_t id) {
  const std::vector<LineSink*>* targets = &every_sink_;
  if (!every_sink_takes_all_) {
    auto it = targets_.find(id);
    if (it == targets_.end()) {
      // Records of no source (Sluice's own) go only where every source goes.
      std::vector<LineSink*> chosen;
      for (const Route& r : sinks_) {
        if (source != nullptr ? r.inputs.takes(source->name) : r.inputs.takesAll()) chosen.push_back(r.sink);
      }
      it = targets_.emplace(id, std::move(chosen)).first;
    }
    targets = &it->second;
  }
  last_id_ = id;
  last_targets_ = targets;
  return *targets;
}

void Router::forgetSource(uint32_t source_id) {
  for (const Route& r : sinks_) r.sink->forgetSource(source_id);
  targets_.erase(source_id);
  if (last_id_ == source_id) last_id_ = UINT32_MAX;
}

void Router::sinksChanged() {
  every_sink_.clear();
  for (const Route& r : sinks_) every_sink_.push_back(r.sink);
  every_sink_takes_all_ =
      std::all_of(sinks_.begin(), sinks_.end(), [](const Route& r) { return r.inputs.takesAll(); });
  targets_.clear();
  last_id_ = UINT32_MAX;
  last_targets_ = nullptr;
}

bool Router::pausedFor(std::string_view source_name) const {
  if (held_) return true;
  return std::any_of(sinks_.begin(), sinks_.end(),
                     [&](const Route& r) { return r.full && r.inputs.takes(source_name); });
}

void Router::onPressure(LineSink* sink, bool full) {
  for (Route& r : sinks_) {
    if (r.sink == sink) r.full = full;
  }
  notify();
}

void Router::notify() {
  // Copy: a source may finish (and be removed) while it is paused or resumed.
  auto sources = sources_;
  for (const SourceState& s : sources) {
    const bool paused = pausedFor(s.source->info().name);
    if (paused == s.paused) continue;
    for (SourceState& kept : sources_) {
      if (kept.source == s.source) kept.paused = paused;
    }
    if (paused) {
      s.source->pause();
    } else {
      s.source->resume();
    }
  }
}

}  // namespace sluice
