#pragma once
// One SinkRunner over a ScriptedTransport, for unit tests of the sink's core and of the sources that feed it:
// numbered lines in, the bodies that were delivered out, and drain and stop that run the loop until they are done.
#include <catch2/catch.hpp>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "agent/loop/loop.h"
#include "agent/sink/sink_runner.h"
#include "tests/support/records.h"
#include "tests/support/scripted_transport.h"
#include "tests/support/test_drain.h"
#include "tests/support/wait.h"

namespace sluice {

// A test sink: batches of 10 that close after 5 ms, retries within milliseconds, two batches in flight.
inline SinkSettings testSinkSettings() {
  using namespace std::chrono_literals;
  SinkSettings s;
  s.name = "test";
  s.message.hostname = "h";
  s.message.app_name = "a";
  s.message.procid = "{source}";
  s.message.msgid = "-";
  s.batch.max_messages = 10;
  s.batch.max_bytes = 1 << 20;
  s.batch.linger = 5ms;
  s.retry_initial = 1ms;
  s.retry_max = 5ms;
  s.max_in_flight = 2;
  return s;
}

// "line <from>" ... "line <to - 1>": what SinkHarness::send(from, to) appends.
inline std::vector<std::string> lineTexts(int from, int to) {
  std::vector<std::string> out;
  for (int i = from; i < to; ++i) out.push_back("line " + std::to_string(i));
  return out;
}

// Delivered bodies split into the user's lines and the in-band notices of drops ("sluice: N ... (reason)").
struct Notices {
  size_t user = 0;
  uint64_t reported = 0;  // the sum of the notices' counts
  std::string reason;     // the last notice's "(...)"
};
inline Notices countNotices(const std::vector<std::string>& bodies) {
  Notices n;
  for (const auto& m : bodies) {
    if (m.rfind("sluice: ", 0) != 0) {
      ++n.user;
      continue;
    }
    n.reported += std::stoull(m.substr(8));
    n.reason = m.substr(m.find('('), m.find(')') - m.find('(') + 1);
  }
  return n;
}

class SinkHarness {
 public:
  // On a loop of its own, which must close clean when the harness goes.
  explicit SinkHarness(SinkSettings settings) : own_loop_(std::make_unique<Loop>()), loop(*own_loop_) {
    start(std::move(settings));
  }
  // On the test's loop; with `spool_state`, the runner opens its spool there (a second harness on the same
  // directory is the next start, and finds what the first one left).
  SinkHarness(Loop& test_loop, SinkSettings settings, const std::string& spool_state = "") : loop(test_loop) {
    start(std::move(settings));
    if (!spool_state.empty()) REQUIRE(runner->openSpool(spool_state).ok());
  }
  ~SinkHarness() {
    stop();
    runner.reset();
    if (own_loop_) CHECK(own_loop_->close() == 0);
  }
  SinkHarness(const SinkHarness&) = delete;
  SinkHarness& operator=(const SinkHarness&) = delete;

  // One record from `src`.
  void append(const std::string& message, AckEntry* ack = nullptr) {
    Record r = recordOf(src, message, 1);
    r.ack = ack;
    runner->append(r);
  }
  // The records lineTexts(from, to).
  void send(int from, int to, AckEntry* ack = nullptr) {
    for (const auto& line : lineTexts(from, to)) append(line, ack);
  }
  // The MSG of every delivered message, in delivery order (notices of drops included).
  std::vector<std::string> delivered() const {
    std::vector<std::string> out;
    for (const auto& batch : transport->delivered) {
      for (const auto& m : batch) out.emplace_back(syslogBody(m));
    }
    return out;
  }
  // Drains (giving up after `timeout`) and runs the loop until the drain is done.
  void drain(std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
    bool done = false;
    runner->drain(timeout, [&] { done = true; });
    REQUIRE(runLoopUntil(loop, [&] { return done; }, timeout + std::chrono::seconds(20)));
  }
  // Stops the runner (once) and runs the loop until it has. CHECK, not REQUIRE: the destructor calls it.
  void stop() {
    if (!runner || stopped_) return;
    runner->stop([this] { stopped_ = true; });
    CHECK(runLoopUntil(loop, [&] { return stopped_; }, std::chrono::seconds(20)));
  }

 private:
  void start(SinkSettings settings) {
    auto t = std::make_unique<ScriptedTransport>(loop);
    transport = t.get();
    runner = std::make_unique<SinkRunner>(loop, std::move(settings), "h", "", std::move(t));
  }
  std::unique_ptr<Loop> own_loop_;
  bool stopped_ = false;

 public:
  Loop& loop;
  SourceInfo src{77, "src", "stdin"};
  ScriptedTransport* transport = nullptr;
  std::unique_ptr<SinkRunner> runner;
};

}  // namespace sluice
