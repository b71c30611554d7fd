// The tail source on a real loop with a sink whose transport holds batches until told: the checkpoint moves only
// as batches are delivered, never as lines are read.
#include <catch2/catch.hpp>

#include "tests/support/files.h"
#include "tests/unit/tail/tail_fixture.h"

using namespace sluice;
using namespace sluice::plugins::tail;
using namespace std::chrono_literals;

namespace {

struct Fixture : TailFixture {
  Fixture() : TailFixture(heldSink()) {
    sink.transport->hold = true;
    log = dir.file("app.log");
    writeFile(log, "one\ntwo\nthree\n");
    TailOptions o;
    o.paths = {log};
    o.start_at_beginning = true;
    o.poll_interval = 20ms;
    o.checkpoint_interval = 10ms;
    o.state_dir = dir.file("state");
    makeSource(o);
  }
  // The offset of app.log in the checkpoint file, -1 when there is none yet.
  long checkpointed() {
    auto set = CheckpointStore::parse(readFile(source->checkpointPath()));
    if (!set || set->files.empty()) return -1;
    return static_cast<long>(set->files[0].offset);
  }
  // Up to 100 batches out at once, each held (hold, above) until the test releases it.
  static SinkSettings heldSink() {
    SinkSettings s = fastBatchSink();
    s.max_in_flight = 100;
    return s;
  }

  std::string log;
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
