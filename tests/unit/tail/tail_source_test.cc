// The tail source on a real loop with a sink whose transport holds batches until told: the checkpoint moves only
// as batches are delivered, never as lines are read.
#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>

#include "agent/pipeline/router.h"
#include "agent/sink/sink_runner.h"
#include "plugins/tail/tail_source.h"
#include "tests/support/temp_dir.h"
#include "tests/support/wait.h"

using namespace sluice;
using namespace sluice::plugins::tail;
using namespace std::chrono_literals;

namespace {

class HeldTransport : public SinkTransport {
 public:
  void deliver(const Batch& batch, DeliverCallback done) override {
    held_lines += batch.count;
    held.push_back(std::move(done));
  }
  void stop(std::function<void()> done) override {
    auto h = std::move(held);
    held.clear();
    for (auto& d : h) d(Outcome::retry("stopping"));
    done();
  }
  void release() {
    auto h = std::move(held);
    held.clear();
    for (auto& d : h) d(Outcome::delivered());
  }
  std::vector<DeliverCallback> held;
  uint64_t held_lines = 0;
};

struct Fixture {
  Fixture() {
    SinkSettings s;
    s.name = "test";
    s.message.procid = "{source}";
    s.batch.max_messages = 10;
    s.batch.linger = 1ms;
    s.max_in_flight = 100;
    auto t = std::make_unique<HeldTransport>();
    transport = t.get();
    sink = std::make_unique<SinkRunner>(loop, s, "h", "", std::move(t));
    router.addSink(sink.get());
    log = dir.file("app.log");
    std::ofstream(log) << "one\ntwo\nthree\n";
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
    bool stopped = false;
    sink->stop([&] { stopped = true; });
    runLoopUntil(loop, [&] { return stopped && source->finished(); }, 5s);
    source.reset();
    sink.reset();
    CHECK(loop.close() == 0);
  }
  // The offset of app.log in the checkpoint file, -1 when there is none yet.
  long checkpointed() {
    std::ifstream in(source->checkpointPath());
    std::stringstream ss;
    ss << in.rdbuf();
    auto set = CheckpointStore::parse(ss.str());
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
  HeldTransport* transport;
  std::unique_ptr<SinkRunner> sink;
  std::string log;
  std::unique_ptr<TailSource> source;
};

}  // namespace

TEST_CASE("the tail checkpoint moves only when what was read is delivered") {
  Fixture f;
  REQUIRE(f.source->start().ok());
  f.router.addSource(f.source.get());
  CHECK(f.checkpointed() == 0);  // written at start: the start offsets count even before anything is read
  REQUIRE(runLoopUntil(f.loop, [&] { return f.transport->held_lines == 3; }, 5s));
  f.runFor(100ms);  // ten checkpoint intervals
  CHECK(f.checkpointed() == 0);
  f.transport->release();
  REQUIRE(runLoopUntil(f.loop, [&] { return f.checkpointed() == 14; }, 5s));

  // A line without its newline is not checkpointed before partial_flush sends it.
  { std::ofstream(f.log, std::ios::app) << "four\nfiv"; }
  REQUIRE(runLoopUntil(f.loop, [&] { return f.transport->held_lines == 4; }, 5s));
  f.transport->release();
  REQUIRE(runLoopUntil(f.loop, [&] { return f.checkpointed() == 19; }, 5s));
  f.runFor(100ms);
  CHECK(f.checkpointed() == 19);
}

TEST_CASE("lines given up at shutdown keep the tail checkpoint where it was") {
  Fixture f;
  REQUIRE(f.source->start().ok());
  f.router.addSource(f.source.get());
  REQUIRE(runLoopUntil(f.loop, [&] { return f.transport->held_lines == 3; }, 5s));
  f.sink->giveUp();  // the held batches come back as failed
  f.runFor(100ms);
  CHECK(f.checkpointed() == 0);
}
