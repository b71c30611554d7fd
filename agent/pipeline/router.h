#pragma once
// Fan-out: every record goes to every sink. With when_full: block, one full sink pauses every source (the slowest
// sink sets the pace, by design) until all sinks drained below their low watermark.
//
// The router owns the interface it needs of a sink (LineSink, implemented one layer up by sink::SinkRunner), so
// that it can be read and tested without the sink's machinery.
#include <algorithm>
#include <functional>
#include <vector>

#include "agent/core/record.h"
#include "agent/pipeline/source.h"

namespace sluice {

class LineSink {
 public:
  // Called with true when the sink's buffer is full and it asks the sources to pause (when_full: block), and with
  // false once it drained below its low watermark.
  using PressureFn = std::function<void(bool full)>;

  virtual ~LineSink() = default;
  // The hot path: one record into the sink's open batch.
  virtual void append(const Record& record) = 0;
  // Closes the open batch now.
  virtual void flush() = 0;
  // A source's per-file or per-sender SourceInfo is gone: cached header bytes go too.
  virtual void forgetSource(uint32_t source_id) = 0;
  virtual void onPressure(PressureFn fn) = 0;
  // Whether it holds the sources back now (full, with when_full: block).
  virtual bool holdingSources() const = 0;
};

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

  void addSink(LineSink* sink) {
    sinks_.push_back(sink);
    sink->onPressure([this](bool full) { onPressure(full); });
    if (sink->holdingSources()) onPressure(true);
  }
  // A sink that is being replaced (reload): it gets no more records and no longer holds the sources back.
  void removeSink(LineSink* sink) {
    sinks_.erase(std::remove(sinks_.begin(), sinks_.end(), sink), sinks_.end());
    sink->onPressure(nullptr);
    if (sink->holdingSources()) onPressure(false);
  }
  void addSource(Source* source) { sources_.push_back(source); }
  void removeSource(Source* source) {
    sources_.erase(std::remove(sources_.begin(), sources_.end(), source), sources_.end());
  }

  void route(const Record& record) {
    if (tap_ != nullptr) tap_->onRecord(record);
    for (LineSink* sink : sinks_) sink->append(record);
  }

  // A source's per-file or per-sender SourceInfo is gone: the sinks drop what they cached for it.
  void forgetSource(uint32_t source_id) {
    for (LineSink* sink : sinks_) sink->forgetSource(source_id);
  }

  // Closes every sink's open batch now (a source that waits for its acknowledgement does not wait for a linger).
  void flush() {
    for (LineSink* sink : sinks_) sink->flush();
  }

  // Holds every source (while sinks are swapped on reload), whatever the sinks say.
  void hold(bool on) {
    const bool was_paused = paused();
    held_ = on;
    notify(was_paused);
  }

  bool paused() const { return full_sinks_ > 0 || held_; }
  const std::vector<LineSink*>& sinks() const { return sinks_; }

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

  std::vector<LineSink*> sinks_;
  std::vector<Source*> sources_;
  int full_sinks_ = 0;
  bool held_ = false;
  Tap* tap_ = nullptr;
};

}  // namespace sluice
