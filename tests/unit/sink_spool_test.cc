#include <catch2/catch.hpp>

#include "tests/support/sink_harness.h"
#include "tests/support/temp_dir.h"

using namespace sluice;
using namespace std::chrono_literals;

namespace {

SinkSettings spoolSettings(BufferMode mode) {
  SinkSettings s = testSinkSettings();
  s.name = "spooled";
  s.batch.max_bytes = 64 << 10;
  s.max_in_flight = 1;
  s.buffer_memory = 1500;  // two batches or so
  s.buffer_disk = 1 << 20;
  s.buffer_mode = mode;
  return s;
}

// A state directory and a loop shared by the runners of one test (a second one is the next start); the loop
// must close clean at the end.
struct Starts {
  TempDir state;
  Loop loop;
  ~Starts() { CHECK(loop.close() == 0); }
};

}  // namespace

TEST_CASE("overflow: when memory is full batches go to the spool and come back in order", "[spool][sink]") {
  Starts f;
  SinkHarness run(f.loop, spoolSettings(BufferMode::Overflow), f.state.path());
  run.transport->hold = true;
  run.send(0, 200);  // far more than memory holds
  run.runner->flush();
  // Once written, the spool holds it: no reason to pause the sources.
  REQUIRE(runLoopUntil(f.loop, [&] { return !run.runner->full(); }, 10s));
  CHECK(run.runner->spoolBytes() > 0);
  run.transport->hold = false;
  run.transport->release();
  run.drain();
  CHECK(run.delivered() == lineTexts(0, 200));
  CHECK(run.runner->lost() == 0);
}

TEST_CASE("always: sources are acknowledged once their batch is spooled, before delivery", "[spool][sink][ack]") {
  Starts f;
  SinkHarness run(f.loop, spoolSettings(BufferMode::Always), f.state.path());
  run.transport->hold = true;  // nothing is delivered yet
  bool acked = false, ok = false;
  AckEntry entry;
  entry.open([&](AckEntry&, bool good) {
    acked = true;
    ok = good;
  });
  run.send(0, 25, &entry);
  entry.release(true);
  run.runner->flush();
  REQUIRE(runLoopUntil(f.loop, [&] { return acked; }, 10s));
  CHECK(ok);
  CHECK(run.transport->delivered.empty());
  run.transport->hold = false;
  run.transport->release();
  run.drain();
  CHECK(run.delivered() == lineTexts(0, 25));
}

TEST_CASE("at shutdown what is left is spooled and delivered by the next start, with the same frame ids", "[spool][sink]") {
  Starts f;
  std::set<std::string> first_ids;
  {
    SinkHarness run(f.loop, spoolSettings(BufferMode::Overflow), f.state.path());
    for (int i = 0; i < 1000; ++i) run.transport->script.push_back(Outcome::retry("down"));
    run.send(0, 50);
    run.drain(50ms);  // the drain is down: give up after 50 ms
    CHECK(run.runner->lost() == 0);  // spooled, not lost
    for (auto& [id, n] : run.transport->attempts_by_id) first_ids.insert(id);
  }
  {
    SinkHarness run(f.loop, spoolSettings(BufferMode::Overflow), f.state.path());
    run.send(50, 55);  // new lines queue behind the replayed ones
    run.drain();
    CHECK(run.delivered() == lineTexts(0, 55));
    // A batch that was attempted before the restart goes out under the same Logplex-Frame-Id.
    for (auto& [id, n] : run.transport->attempts_by_id) {
      if (first_ids.count(id) != 0) first_ids.erase(id);
    }
    CHECK(first_ids.empty());
  }
}

TEST_CASE("a second signal (giveUp) spools what is queued and in flight at once", "[spool][sink]") {
  Starts f;
  {
    SinkHarness run(f.loop, spoolSettings(BufferMode::Overflow), f.state.path());
    run.transport->hold = true;
    run.send(0, 30);
    run.runner->flush();
    bool drained = false;
    run.runner->drain(1h, [&] { drained = true; });
    run.runner->giveUp();
    REQUIRE(runLoopUntil(f.loop, [&] { return drained; }, 10s));
    CHECK(run.runner->lost() == 0);
  }
  {
    SinkHarness run(f.loop, spoolSettings(BufferMode::Overflow), f.state.path());
    run.drain();
    CHECK(run.delivered() == lineTexts(0, 30));
  }
}

TEST_CASE("with memory and spool full, drop_newest and drop_oldest count exactly what they drop", "[spool][sink]") {
  for (WhenFull policy : {WhenFull::DropNewest, WhenFull::DropOldest}) {
    Starts f;
    SinkSettings s = spoolSettings(BufferMode::Always);
    s.buffer_disk = 8 << 10;  // a few batches
    s.batch.max_bytes = 1024;
    s.when_full = policy;
    SinkHarness run(f.loop, s, f.state.path());
    run.transport->hold = true;
    for (int i = 0; i < 500; i += 10) {
      run.send(i, i + 10);
      runLoopUntil(f.loop, [&] { return false; }, 2ms);  // let the spool writes complete as they would
    }
    run.transport->hold = false;
    run.transport->release();
    run.drain();
    uint64_t dropped = run.runner->counters().dropped.at("buffer_full");
    CHECK(dropped > 0);
    Notices n = countNotices(run.delivered());
    INFO("policy " << (policy == WhenFull::DropNewest ? "drop_newest" : "drop_oldest"));
    CHECK(n.user + dropped == 500);
    CHECK(n.reported == dropped);
  }
}

TEST_CASE("block: a full spool pauses the sources and releases them below the low watermark", "[spool][sink]") {
  Starts f;
  SinkSettings s = spoolSettings(BufferMode::Always);
  s.buffer_disk = 8 << 10;
  s.batch.max_bytes = 1024;
  SinkHarness run(f.loop, s, f.state.path());
  std::vector<bool> events;
  run.runner->onPressure([&](bool full) { events.push_back(full); });
  run.transport->hold = true;
  for (int i = 0; i < 300 && !run.runner->full(); i += 10) {
    run.send(i, i + 10);
    runLoopUntil(f.loop, [&] { return false; }, 2ms);
  }
  CHECK(run.runner->full());
  REQUIRE(!events.empty());
  CHECK(events.front());
  run.transport->hold = false;
  while (!run.transport->held.empty() || run.runner->full()) {
    run.transport->release();
    runLoopUntil(f.loop, [&] { return false; }, 5ms);
  }
  CHECK_FALSE(events.back());
  run.drain();
  CHECK(run.runner->lost() == 0);
}
