#pragma once
// Fan-out: each record goes to the sinks whose `inputs:` take its source (every sink, by default). With
// when_full: block, a full sink pauses the sources it takes (the slowest sink sets their pace, by design) until it
// drained below its low watermark; sources it does not take keep flowing to their own sinks.
//
// The router owns the interface it needs of a sink (LineSink, implemented one layer up by sink::SinkRunner), so
// that it can be read and tested without the sink's machinery.
#include <algorithm>
#include <cstdint>
#include <functional>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "agent/core/record.h"
#include "agent/pipeline/source.h"
#include "agent/pipeline/source_selector.h"

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

  void addSink(LineSink* sink, SourceSelector inputs = {});
  // A sink that is being replaced (reload): it gets no more records and no longer holds the sources back.
  void removeSink(LineSink* sink);
  void addSource(Source* source);
  void removeSource(Source* source);

  // The hot path: the sinks of the record's source are looked up once per source, then cached.
  void route(const Record& record) {
    if (tap_ != nullptr) tap_->onRecord(record);
    for (LineSink* sink : targetsFor(record.source)) sink->append(record);
  }

  // A source's per-file or per-sender SourceInfo is gone: the sinks drop what they cached for it.
  void forgetSource(uint32_t source_id);

  // Closes every sink's open batch now (a source that waits for its acknowledgement does not wait for a linger).
  void flush() {
    for (const Route& r : sinks_) r.sink->flush();
  }

  // Holds every source (while sinks are swapped on reload), whatever the sinks say.
  void hold(bool on) {
    held_ = on;
    notify();
  }

  // Whether the source of this name is held back now: by hold() or by a full sink that takes it.
  bool pausedFor(std::string_view source_name) const;
  size_t sinkCount() const { return sinks_.size(); }

 private:
  struct Route {
    LineSink* sink = nullptr;
    SourceSelector inputs;
    bool full = false;
  };
  struct SourceState {
    Source* source = nullptr;
    bool paused = false;
  };

  const std::vector<LineSink*>& targetsFor(const SourceInfo* source) {
    const uint32_t id = source != nullptr ? source->id : kNoSource;
    if (id == last_id_) return *last_targets_;
    return lookUpTargets(source, id);
  }
  const std::vector<LineSink*>& lookUpTargets(const SourceInfo* source, uint32_t id);
  void sinksChanged();
  void onPressure(LineSink* sink, bool full);
  void notify();

  static constexpr uint32_t kNoSource = UINT32_MAX - 1;
  std::vector<Route> sinks_;
  std::vector<LineSink*> every_sink_;                              // when every sink takes every source
  bool every_sink_takes_all_ = true;
  std::unordered_map<uint32_t, std::vector<LineSink*>> targets_;   // by SourceInfo id, otherwise
  uint32_t last_id_ = UINT32_MAX;
  const std::vector<LineSink*>* last_targets_ = nullptr;
  std::vector<SourceState> sources_;
  bool held_ = false;
  Tap* tap_ = nullptr;
};

}  // namespace sluice
