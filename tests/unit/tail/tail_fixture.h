#pragma once
// The tail source's unit tests on a real loop: a source named "files" routed to a test sink, and the orderly end
// every test needs (stop, drain the sink, wait for the source, close the loop with no handle left).
#include <catch2/catch.hpp>

#include <chrono>
#include <memory>

#include "agent/pipeline/router.h"
#include "plugins/tail/tail_source.h"
#include "tests/support/sink_harness.h"
#include "tests/support/temp_dir.h"
#include "tests/support/wait.h"

namespace sluice::plugins::tail {

// Sink settings whose batches close after 1 ms: the tests wait for lines, not for batches to fill.
inline SinkSettings fastBatchSink() {
  SinkSettings s = testSinkSettings();
  s.batch.linger = std::chrono::milliseconds(1);
  return s;
}

struct TailFixture {
  explicit TailFixture(SinkSettings settings) : sink{loop, std::move(settings)} { router.addSink(sink.runner.get()); }
  ~TailFixture() {
    if (source) source->stop();
    sink.stop();  // held batches fail, and the source's last acknowledgements with them
    runLoopUntil(loop, [&] { return !source || source->finished(); }, std::chrono::seconds(5));
    source.reset();
    sink.runner.reset();
    CHECK(loop.close() == 0);
  }
  TailFixture(const TailFixture&) = delete;
  TailFixture& operator=(const TailFixture&) = delete;

  // The source over `options` (not started).
  void makeSource(const TailOptions& options) {
    SourceInfo info;
    info.name = "files";
    info.type = "tail";
    source = std::make_unique<TailSource>(loop, router, info, options);
  }
  void runFor(std::chrono::milliseconds d) {
    auto end = std::chrono::steady_clock::now() + d;
    runLoopUntil(loop, [&] { return std::chrono::steady_clock::now() >= end; }, d + std::chrono::seconds(1));
  }

  TempDir dir;
  Loop loop;
  Router router;
  SinkHarness sink;
  std::unique_ptr<TailSource> source;
};

}  // namespace sluice::plugins::tail
