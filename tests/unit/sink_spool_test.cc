#include <catch2/catch.hpp>

#include <filesystem>

#include "agent/loop/loop.h"
#include "agent/sink/sink_runner.h"
#include "tests/support/scripted_transport.h"
#include "tests/support/temp_dir.h"
#include "tests/support/wait.h"

using namespace sluice;
using namespace std::chrono_literals;

namespace {

SinkSettings spoolSettings(BufferMode mode) {
  SinkSettings s;
  s.name = "spooled";
  s.message.procid = "{source}";
  s.message.msgid = "-";
  s.message.app_name = "a";
  s.batch.max_messages = 10;
  s.batch.max_bytes = 64 << 10;
  s.batch.linger = 5ms;
  s.retry_initial = 1ms;
  s.retry_max = 5ms;
  s.max_in_flight = 1;
  s.buffer_memory = 1500;  // two batches or so
  s.buffer_disk = 1 << 20;
  s.buffer_mode = mode;
  return s;
}

// One runner over a state dir that outlives it, so that a second runner (the next start) finds its spool.
struct Run {
  Run(Loop& loop, const std::string& state, SinkSettings s) : loop_(loop) {
    auto t = std::make_unique<ScriptedTransport>(loop);
    transport = t.get();
    runner = std::make_unique<SinkRunner>(loop, std::move(s), "h", "", std::move(t));
    REQUIRE(runner->openSpool(state).ok());
  }
  void send(int from, int to, AckEntry* ack = nullptr) {
    for (int i = from; i < to; ++i) {
      std::string m = "line " + std::to_string(i);
      Record r;
      r.source = &src;
      r.message = m;
      r.received_us = 1;
      r.ack = ack;
      runner->append(r);
    }
  }
  std::vector<std::string> delivered() const {
    std::vector<std::string> out;
    for (auto& b : transport->delivered) {
      for (auto& m : b) out.push_back(m.substr(m.rfind(" - ") + 3));
    }
    return out;
  }
  void drain(std::chrono::milliseconds timeout = 5s) {
    bool done = false;
    runner->drain(timeout, [&] { done = true; });
    REQUIRE(runLoopUntil(loop_, [&] { return done; }, 20s));
  }
  void stop() {
    bool stopped = false;
    runner->stop([&] { stopped = true; });
    REQUIRE(runLoopUntil(loop_, [&] { return stopped; }, 20s));
    runner.reset();
  }
  Loop& loop_;
  SourceInfo src{88, "src", "stdin"};
  ScriptedTransport* transport;
  std::unique_ptr<SinkRunner> runner;
};

std::vector<std::string> lines(int from, int to) {
  std::vector<std::string> out;
  for (int i = from; i < to; ++i) out.push_back("line " + std::to_string(i));
  return out;
}

}  // namespace

TEST_CASE("overflow: when memory is full batches go to the spool and come back in order", "[spool][sink]") {
  TempDir state;
  Loop loop;
  {
    Run run(loop, state.path(), spoolSettings(BufferMode::Overflow));
    run.transport->hold = true;
    run.send(0, 200);  // far more than memory holds
    run.runner->flush();
    // Once written, the spool holds it: no reason to pause the sources.
    REQUIRE(runLoopUntil(loop, [&] { return !run.runner->full(); }, 10s));
    CHECK(run.runner->spoolBytes() > 0);
    run.transport->hold = false;
    run.transport->release();
    run.drain();
    CHECK(run.delivered() == lines(0, 200));
    CHECK(run.runner->lost() == 0);
    run.stop();
  }
  CHECK(loop.close() == 0);
}

TEST_CASE("always: sources are acknowledged once their batch is spooled, before delivery", "[spool][sink][ack]") {
  TempDir state;
  Loop loop;
  {
    Run run(loop, state.path(), spoolSettings(BufferMode::Always));
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
    REQUIRE(runLoopUntil(loop, [&] { return acked; }, 10s));
    CHECK(ok);
    CHECK(run.transport->delivered.empty());
    run.transport->hold = false;
    run.transport->release();
    run.drain();
    CHECK(run.delivered() == lines(0, 25));
    run.stop();
  }
  CHECK(loop.close() == 0);
}

TEST_CASE("at shutdown what is left is spooled and delivered by the next start, with the same frame ids", "[spool][sink]") {
  TempDir state;
  Loop loop;
  std::set<std::string> first_ids;
  {
    Run run(loop, state.path(), spoolSettings(BufferMode::Overflow));
    for (int i = 0; i < 1000; ++i) run.transport->script.push_back(Outcome::retry("down"));
    run.send(0, 50);
    run.drain(50ms);  // the drain is down: give up after 50 ms
    CHECK(run.runner->lost() == 0);  // spooled, not lost
    for (auto& [id, n] : run.transport->attempts_by_id) first_ids.insert(id);
    run.stop();
  }
  {
    Run run(loop, state.path(), spoolSettings(BufferMode::Overflow));
    run.send(50, 55);  // new lines queue behind the replayed ones
    run.drain();
    CHECK(run.delivered() == lines(0, 55));
    // A batch that was attempted before the restart goes out under the same Logplex-Frame-Id.
    for (auto& [id, n] : run.transport->attempts_by_id) {
      if (first_ids.count(id) != 0) first_ids.erase(id);
    }
    CHECK(first_ids.empty());
    run.stop();
  }
  CHECK(loop.close() == 0);
}

TEST_CASE("a second signal (giveUp) spools what is queued and in flight at once", "[spool][sink]") {
  TempDir state;
  Loop loop;
  {
    Run run(loop, state.path(), spoolSettings(BufferMode::Overflow));
    run.transport->hold = true;
    run.send(0, 30);
    run.runner->flush();
    bool drained = false;
    run.runner->drain(1h, [&] { drained = true; });
    run.runner->giveUp();
    REQUIRE(runLoopUntil(loop, [&] { return drained; }, 10s));
    CHECK(run.runner->lost() == 0);
    run.stop();
  }
  {
    Run run(loop, state.path(), spoolSettings(BufferMode::Overflow));
    run.drain();
    CHECK(run.delivered() == lines(0, 30));
    run.stop();
  }
  CHECK(loop.close() == 0);
}

TEST_CASE("with memory and spool full, drop_newest and drop_oldest count exactly what they drop", "[spool][sink]") {
  for (WhenFull policy : {WhenFull::DropNewest, WhenFull::DropOldest}) {
    TempDir state;
    Loop loop;
    {
      SinkSettings s = spoolSettings(BufferMode::Always);
      s.buffer_disk = 8 << 10;  // a few batches
      s.batch.max_bytes = 1024;
      s.when_full = policy;
      Run run(loop, state.path(), s);
      run.transport->hold = true;
      for (int i = 0; i < 500; i += 10) {
        run.send(i, i + 10);
        runLoopUntil(loop, [&] { return false; }, 2ms);  // let the spool writes complete as they would
      }
      run.transport->hold = false;
      run.transport->release();
      run.drain();
      uint64_t dropped = run.runner->counters().dropped.at("buffer_full");
      CHECK(dropped > 0);
      size_t user = 0;
      uint64_t reported = 0;
      for (auto& m : run.delivered()) {
        if (m.rfind("sluice: ", 0) == 0) {
          reported += std::stoull(m.substr(8));
        } else {
          ++user;
        }
      }
      INFO("policy " << (policy == WhenFull::DropNewest ? "drop_newest" : "drop_oldest"));
      CHECK(user + dropped == 500);
      CHECK(reported == dropped);
      run.stop();
    }
    CHECK(loop.close() == 0);
  }
}

TEST_CASE("block: a full spool pauses the sources and releases them below the low watermark", "[spool][sink]") {
  TempDir state;
  Loop loop;
  {
    SinkSettings s = spoolSettings(BufferMode::Always);
    s.buffer_disk = 8 << 10;
    s.batch.max_bytes = 1024;
    Run run(loop, state.path(), s);
    std::vector<bool> events;
    run.runner->onPressure([&](bool full) { events.push_back(full); });
    run.transport->hold = true;
    for (int i = 0; i < 300 && !run.runner->full(); i += 10) {
      run.send(i, i + 10);
      runLoopUntil(loop, [&] { return false; }, 2ms);
    }
    CHECK(run.runner->full());
    REQUIRE(!events.empty());
    CHECK(events.front());
    run.transport->hold = false;
    while (!run.transport->held.empty() || run.runner->full()) {
      run.transport->release();
      runLoopUntil(loop, [&] { return false; }, 5ms);
    }
    CHECK_FALSE(events.back());
    run.drain();
    CHECK(run.runner->lost() == 0);
    run.stop();
  }
  CHECK(loop.close() == 0);
}
