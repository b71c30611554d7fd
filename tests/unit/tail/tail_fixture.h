#pragma once
// The tail source's unit tests on a real loop: a source named "files" routed to a test sink, and the orderly end
// every test needs (stop, drain the sink, wait for the source, close the loop with no handle left).
#include <catch2/catch.hpp>

#include <chrono>
#include <filesystem>
#include <memory>
#include <set>
#include <string>

#include "agent/pipeline/router.h"
#include "plugins/tail/tail_source.h"
#include "tests/support/files.h"
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

// A source over logs/*.log (read from their start, state in state/, no checkpoint write on the thread pool that the
// end would wait for: the source writes one at start and one when destroyed, synchronously) and the lines delivered.
struct TailFilesFixture : TailFixture {
  explicit TailFilesFixture(SinkSettings settings) : TailFixture(std::move(settings)) {
    std::filesystem::create_directories(dir.file("logs"));
    options.paths = {dir.file("logs") + "/*.log"};
    options.start_at_beginning = true;
    options.checkpoint_interval = std::chrono::hours(1);
    options.state_dir = dir.file("state");
  }
  void start() {
    makeSource(options);
    REQUIRE(source->start().ok());
    router.addSource(source.get());
  }
  std::string file(const std::string& name) { return dir.file("logs/" + name); }
  void append(const std::string& name, const std::string& text) { appendFile(file(name), text); }
  bool waitForBodies(size_t n, std::chrono::milliseconds within = std::chrono::seconds(20)) {
    return runLoopUntil(loop, [&] { return sink.delivered().size() >= n; }, within);
  }
  std::multiset<std::string> bodies() const {
    auto all = sink.delivered();
    return {all.begin(), all.end()};
  }

  TailOptions options;
};

}  // namespace sluice::plugins::tail
