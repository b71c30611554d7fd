// The tail source on a real loop with a sink whose transport holds batches until told: the checkpoint moves only
// as batches are delivered, never as lines are read.
#include <catch2/catch.hpp>

#include "agent/pipeline/router.h"
#include "plugins/tail/tail_source.h"
#include "tests/support/files.h"
#include "tests/support/sink_harness.h"
#include "tests/support/temp_dir.h"

using namespace sluice;
using namespace sluice::plugins::tail;
using namespace std::chrono_literals;

namespace {

// Batches close after 1 ms and are held until the test releases them.
SinkSettings heldSink() {
  SinkSettings s = testSinkSettings();
  s.batch.linger = 1ms;
  s.max_in_flight = 100;
  return s;
}

struct Fixture {
  Fixture() {
    sink.transport->hold = true;
    router.addSink(sink.runner.get());
    log = dir.file("app.log");
    writeFile(log, "one\ntwo\nthree\n");
    TailOptions o;
    o.paths = {log};
    o.start_at_beginning = true;
    o.poll_interval = 20ms;
    o.checkpoint_interval = 10ms;
    o.state_dir = dir.file("state");
    SourceInfo info;
    info.name = "files";
    info.type = "tail";
    source = std::make_unique<TailSource>(loop, router, info, o);
  }
  ~Fixture() {
    source->stop();
    sink.stop();  // held batches fail, and the source's last acknowledgements with them
    runLoopUntil(loop, [&] { return source->finished(); }, 5s);
    source.reset();
    sink.runner.reset();
    CHECK(loop.close() == 0);
  }
  // The offset of app.log in the checkpoint file, -1 when there is none yet.
  long checkpointed() {
    auto set = CheckpointStore::parse(readFile(source->checkpointPath()));
    if (!set || set->files.empty()) return -1;
    return static_cast<long>(set->files[0].offset);
  }
  void runFor(std::chrono::milliseconds d) {
    auto end = std::chrono::steady_clock::now() + d;
    runLoopUntil(loop, [&] { return std::chrono::steady_clock::now() >= end; }, d + 1s);
  }

  TempDir dir;
  Loop loop;
  Router router;
  SinkHarness sink{loop, heldSink()};
  std::string log;
  std::unique_ptr<TailSource> source;
};

}  // namespace

TEST_CASE("the tail checkpoint moves only when what was read is delivered") {
  Fixture f;
  REQUIRE(f.source->start().ok());
  f.router.addSource(f.source.get());
  CHECK(f.checkpointed() == 0);  // written at start: the start offsets count even before anything is read
  REQUIRE(runLoopUntil(f.loop, [&] { return f.sink.transport->messages == 3; }, 5s));
  f.runFor(100ms);  // ten checkpoint intervals
  CHECK(f.checkpointed() == 0);
  f.sink.transport->release();
  REQUIRE(runLoopUntil(f.loop, [&] { return f.checkpointed() == 14; }, 5s));

  // A line without its newline is not checkpointed before partial_flush sends it.
  appendFile(f.log, "four\nfiv");
  REQUIRE(runLoopUntil(f.loop, [&] { return f.sink.transport->messages == 4; }, 5s));
  f.sink.transport->release();
  REQUIRE(runLoopUntil(f.loop, [&] { return f.checkpointed() == 19; }, 5s));
  f.runFor(100ms);
  CHECK(f.checkpointed() == 19);
}

TEST_CASE("lines given up at shutdown keep the tail checkpoint where it was") {
  Fixture f;
  REQUIRE(f.source->start().ok());
  f.router.addSource(f.source.get());
  REQUIRE(runLoopUntil(f.loop, [&] { return f.sink.transport->messages == 3; }, 5s));
  f.sink.runner->giveUp();  // the held batches come back as failed
  f.runFor(100ms);
  CHECK(f.checkpointed() == 0);
}
