#pragma once
// Fan-out: every record goes to every sink. With when_full: block, one full sink pauses every source (the slowest
// sink sets the pace, by design) until all sinks drained below their low watermark.
#include <algorithm>
#include <vector>

#include "agent/core/record.h"
#include "agent/sink/sink_runner.h"
#include "agent/sources/source.h"

namespace sluice {

class Router {
 public:
  // Sees every routed record before the sinks do (the admin API's recent lines and archive). It must copy what
  // it keeps: a record's bytes are only valid during the call.
  class Tap {
   public:
    virtual ~Tap() = default;
    virtual void onRecord(const Record& record) = 0;
  };
  void setTap(Tap* tap) { tap_ = tap; }

  void addSink(SinkRunner* sink) {
    sinks_.push_back(sink);
    sink->onPressure([this](bool full) { onPressure(full); });
    if (sink->full() && sink->settings().when_full == WhenFull::Block) onPressure(true);
  }
  // A sink that is being replaced (reload): it gets no more records and no longer holds the sources back.
  void removeSink(SinkRunner* sink) {
    sinks_.erase(std::remove(sinks_.begin(), sinks_.end(), sink), sinks_.end());
    sink->onPressure(nullptr);
    if (sink->full() && sink->settings().when_full == WhenFull::Block) onPressure(false);
  }
  void addSource(Source* source) { sources_.push_back(source); }
  void removeSource(Source* source) {
    sources_.erase(std::remove(sources_.begin(), sources_.end(), source), sources_.end());
  }

  void route(const Record& record) {
    if (tap_ != nullptr) tap_->onRecord(record);
    for (SinkRunner* sink : sinks_) sink->append(record);
  }

  // A source's per-file or per-sender SourceInfo is gone: the sinks drop what they cached for it.
  void forgetSource(uint32_t source_id) {
    for (SinkRunner* sink : sinks_) sink->forgetSource(source_id);
  }

  // Closes every sink's open batch now (a source that waits for its acknowledgement does not wait for a linger).
  void flush() {
    for (SinkRunner* sink : sinks_) sink->flush();
  }

  // Holds every source (while sinks are swapped on reload), whatever the sinks say.
  void hold(bool on) {
    const bool was_paused = paused();
    held_ = on;
    notify(was_paused);
  }

  bool paused() const { return full_sinks_ > 0 || held_; }
  const std::vector<SinkRunner*>& sinks() const { return sinks_; }

 private:
  void onPressure(bool full) {
    const bool was_paused = paused();
    full_sinks_ += full ? 1 : -1;
    notify(was_paused);
  }

  void notify(bool was_paused) {
    if (paused() == was_paused) return;
    // Copy: a source may finish (and be removed) while it is paused or resumed.
    auto sources = sources_;
    for (Source* s : sources) {
      if (paused()) {
        s->pause();
      } else {
        s->resume();
      }
    }
  }

  std::vector<SinkRunner*> sinks_;
  std::vector<Source*> sources_;
  int full_sinks_ = 0;
  bool held_ = false;
  Tap* tap_ = nullptr;
};

}  // namespace sluice
