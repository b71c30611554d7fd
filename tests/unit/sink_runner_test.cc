#include <catch2/catch.hpp>

#include <deque>

#include "agent/loop/loop.h"
#include "agent/formats/frame.h"
#include "agent/sink/sink_runner.h"
#include "tests/support/scripted_transport.h"

using namespace sluice;
using namespace std::chrono_literals;

namespace {

SinkSettings settings() {
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

struct Harness {
  explicit Harness(SinkSettings s) {
    auto t = std::make_unique<ScriptedTransport>(loop);
    transport = t.get();
    runner = std::make_unique<SinkRunner>(loop, std::move(s), "h", "", std::move(t));
  }
  void send(int n, int from = 0) {
    for (int i = from; i < from + n; ++i) {
      std::string m = "line " + std::to_string(i);
      Record r;
      r.source = &src;
      r.message = m;
      r.received_us = 1;
      runner->append(r);
    }
  }
  std::vector<std::string> deliveredMessages() const {
    std::vector<std::string> out;
    for (auto& b : transport->delivered) {
      for (auto& m : b) out.push_back(m.substr(m.rfind(" - ") + 3));
    }
    return out;
  }
  void drain(std::chrono::milliseconds timeout = 2s) {
    bool done = false;
    runner->drain(timeout, [&] { done = true; });
    while (!done) uv_run(loop.get(), UV_RUN_ONCE);
  }
  ~Harness() {
    bool stopped = false;
    runner->stop([&] { stopped = true; });
    while (!stopped) uv_run(loop.get(), UV_RUN_ONCE);
    runner.reset();
    CHECK(loop.close() == 0);
  }
  Loop loop;
  SourceInfo src{77, "src", "stdin"};
  ScriptedTransport* transport;
  std::unique_ptr<SinkRunner> runner;
};

std::vector<std::string> expected(int n) {
  std::vector<std::string> out;
  for (int i = 0; i < n; ++i) out.push_back("line " + std::to_string(i));
  return out;
}

}  // namespace

TEST_CASE("a batch closes at max_messages") {
  SinkSettings s = settings();
  s.batch.linger = 10s;
  s.max_in_flight = 1;
  Harness h(s);
  h.send(25);
  h.drain();
  REQUIRE(h.transport->delivered.size() == 3);
  CHECK(h.transport->delivered[0].size() == 10);
  CHECK(h.transport->delivered[2].size() == 5);
  CHECK(h.deliveredMessages() == expected(25));
  CHECK(h.runner->counters().sent_events == 25);
}

TEST_CASE("a batch closes at max_bytes") {
  SinkSettings s = settings();
  s.batch.max_messages = 1000;
  s.batch.max_bytes = 1024;
  s.max_in_flight = 1;
  Harness h(s);
  h.send(100);
  h.drain();
  CHECK(h.transport->delivered.size() > 3);
  CHECK(h.deliveredMessages() == expected(100));
}

TEST_CASE("a batch closes after linger") {
  SinkSettings s = settings();
  s.batch.max_messages = 1000;
  s.batch.linger = 20ms;
  Harness h(s);
  h.send(3);
  auto start = std::chrono::steady_clock::now();
  while (h.transport->delivered.empty() && std::chrono::steady_clock::now() - start < 5s) {
    uv_run(h.loop.get(), UV_RUN_ONCE);
  }
  CHECK(h.deliveredMessages() == expected(3));
}

TEST_CASE("a retried batch keeps its frame id and is delivered once") {
  SinkSettings s = settings();
  s.max_in_flight = 1;
  Harness h(s);
  h.transport->script = {Outcome::retry("HTTP 503", 503), Outcome::retry("reset")};
  h.send(5);
  h.drain();
  CHECK(h.deliveredMessages() == expected(5));
  REQUIRE(h.transport->attempts_by_id.size() == 1);
  CHECK(h.transport->attempts_by_id.begin()->second == 3);
  CHECK(h.runner->counters().retries == 2);
  CHECK(h.runner->lost() == 0);
}

TEST_CASE("a rejected batch is not retried and is counted as lost") {
  SinkSettings s = settings();
  s.max_in_flight = 1;
  Harness h(s);
  h.transport->script = {Outcome::rejected("HTTP 400", 400)};
  h.send(15);
  h.drain();
  CHECK(h.transport->calls == 2);
  CHECK(h.runner->counters().dropped.at("rejected") == 10);
  CHECK(h.deliveredMessages().size() == 5);
}

TEST_CASE("at most max_in_flight batches are outstanding") {
  SinkSettings s = settings();
  s.max_in_flight = 3;
  s.batch.max_messages = 1;
  Harness h(s);
  h.send(20);
  h.drain();
  CHECK(h.transport->max_in_flight == 3);
  CHECK(h.deliveredMessages().size() == 20);
}

TEST_CASE("when the buffer is full with block the sources are told to pause, then to resume") {
  SinkSettings s = settings();
  s.batch.max_messages = 10;
  s.buffer_memory = 2000;
  s.max_in_flight = 1;
  Harness h(s);
  std::vector<bool> events;
  h.runner->onPressure([&](bool full) { events.push_back(full); });
  h.transport->hold = true;
  h.send(100);
  CHECK(h.runner->full());
  REQUIRE(!events.empty());
  CHECK(events.front() == true);
  h.transport->hold = false;
  while (!h.transport->held.empty()) {
    h.transport->release();
    uv_run(h.loop.get(), UV_RUN_NOWAIT);
  }
  h.drain();
  CHECK(events.back() == false);
  CHECK(h.deliveredMessages() == expected(100));
}

namespace {

// Splits delivered messages into the user's lines and the sum of what the in-band notices report.
void countNotices(const std::vector<std::string>& got, size_t* user, uint64_t* reported, std::string* reason) {
  *user = 0;
  *reported = 0;
  for (const auto& m : got) {
    if (m.rfind("sluice: ", 0) == 0) {
      *reported += std::stoull(m.substr(8));
      *reason = m.substr(m.find('('), m.find(')') - m.find('(') + 1);
    } else {
      ++*user;
    }
  }
}

}  // namespace

TEST_CASE("drop_newest drops new batches when full and reports the exact count in-band", "[sink]") {
  SinkSettings s = settings();
  s.batch.max_messages = 10;
  s.buffer_memory = 1500;
  s.max_in_flight = 1;
  s.when_full = WhenFull::DropNewest;
  Harness h(s);
  h.transport->hold = true;
  h.send(100);
  CHECK(h.runner->counters().dropped.at("buffer_full") > 0);
  h.transport->hold = false;
  h.transport->release();
  h.send(10, 100);
  h.drain();
  uint64_t dropped = h.runner->counters().dropped.at("buffer_full");
  size_t user = 0;
  uint64_t reported = 0;
  std::string reason;
  countNotices(h.deliveredMessages(), &user, &reported, &reason);
  CHECK(user + dropped == 110);
  CHECK(reported == dropped);  // the last notice goes out at shutdown
  CHECK(reason == "(buffer full, drop_newest)");
  // The oldest lines were kept.
  CHECK(h.deliveredMessages().front() == "line 0");
}

TEST_CASE("drop_oldest drops the oldest queued batches and keeps the newest", "[sink]") {
  SinkSettings s = settings();
  s.batch.max_messages = 10;
  s.buffer_memory = 1500;
  s.max_in_flight = 1;
  s.when_full = WhenFull::DropOldest;
  Harness h(s);
  h.transport->hold = true;
  h.send(100);
  h.transport->hold = false;
  h.transport->release();
  h.drain();
  uint64_t dropped = h.runner->counters().dropped.at("buffer_full");
  CHECK(dropped > 0);
  auto got = h.deliveredMessages();
  size_t user = 0;
  uint64_t reported = 0;
  std::string reason;
  countNotices(got, &user, &reported, &reason);
  CHECK(user + dropped == 100);
  CHECK(reported == dropped);
  CHECK(reason == "(buffer full, drop_oldest)");
  CHECK(got.back() == "line 99");
  CHECK(got.front() == "line 0");  // it was already in flight
}

TEST_CASE("drain gives up after its timeout and counts what was left") {
  SinkSettings s = settings();
  s.max_in_flight = 1;
  Harness h(s);
  for (int i = 0; i < 1000; ++i) h.transport->script.push_back(Outcome::retry("down"));
  h.send(30);
  h.drain(50ms);
  CHECK(h.runner->counters().dropped.at("shutdown") == 30);
  CHECK(h.runner->lost() == 30);
}

TEST_CASE("backoff grows exponentially with full jitter, capped, and honours Retry-After") {
  std::mt19937_64 rng(42);
  for (int i = 0; i < 200; ++i) {
    auto d1 = backoffDelay(100ms, 30s, 1, 0ms, rng);
    CHECK(d1 <= 100ms);
    auto d5 = backoffDelay(100ms, 30s, 5, 0ms, rng);
    CHECK(d5 <= 1600ms);
    auto d30 = backoffDelay(100ms, 30s, 30, 0ms, rng);
    CHECK(d30 <= 30s);
    CHECK(backoffDelay(100ms, 30s, 2, 5s, rng) >= 5s);
  }
  // Jitter: not always the same value.
  std::set<int64_t> seen;
  for (int i = 0; i < 50; ++i) seen.insert(backoffDelay(100ms, 30s, 8, 0ms, rng).count());
  CHECK(seen.size() > 10);
}

TEST_CASE("an input piece is acknowledged only when every batch holding its lines is delivered", "[sink][ack]") {
  SinkSettings s = settings();
  s.batch.max_messages = 4;
  s.max_in_flight = 1;
  Harness h(s);
  h.transport->hold = true;
  int done = 0;
  bool ok = false;
  AckEntry entry;
  entry.open([&](AckEntry&, bool good) {
    ++done;
    ok = good;
  });
  for (int i = 0; i < 10; ++i) {  // three batches: 4 + 4 + 2
    std::string m = "line " + std::to_string(i);
    Record r;
    r.source = &h.src;
    r.message = m;
    r.ack = &entry;
    h.runner->append(r);
  }
  entry.release(true);  // the source has routed the piece
  h.runner->flush();
  CHECK(done == 0);
  CHECK(entry.pending() == 3);
  h.transport->hold = false;
  h.transport->release();
  h.drain();
  CHECK(done == 1);
  CHECK(ok);
}

TEST_CASE("an input piece abandoned at shutdown is acknowledged as failed, so it is read again", "[sink][ack]") {
  SinkSettings s = settings();
  s.max_in_flight = 1;
  Harness h(s);
  for (int i = 0; i < 1000; ++i) h.transport->script.push_back(Outcome::retry("down"));
  bool done = false, ok = true;
  AckEntry entry;
  entry.open([&](AckEntry&, bool good) {
    done = true;
    ok = good;
  });
  Record r;
  r.source = &h.src;
  r.message = "x";
  r.ack = &entry;
  h.runner->append(r);
  entry.release(true);
  h.drain(30ms);
  CHECK(done);
  CHECK_FALSE(ok);
}

TEST_CASE("dropped and rejected batches acknowledge their input: they are counted, not read again", "[sink][ack]") {
  SinkSettings s = settings();
  s.max_in_flight = 1;
  Harness h(s);
  h.transport->script = {Outcome::rejected("HTTP 400", 400)};
  bool ok = false;
  AckEntry entry;
  entry.open([&](AckEntry&, bool good) { ok = good; });
  Record r;
  r.source = &h.src;
  r.message = "x";
  r.ack = &entry;
  h.runner->append(r);
  entry.release(true);
  h.drain();
  CHECK(ok);
  CHECK(h.runner->lost() == 1);
}

TEST_CASE("with two sinks a piece completes after both resolved it", "[sink][ack]") {
  SinkSettings s = settings();
  Harness a(s), b(s);
  int done = 0;
  AckEntry entry;
  entry.open([&](AckEntry&, bool) { ++done; });
  Record r;
  r.source = &a.src;
  r.message = "x";
  r.ack = &entry;
  a.runner->append(r);
  b.runner->append(r);
  entry.release(true);
  a.drain();
  CHECK(done == 0);
  b.drain();
  CHECK(done == 1);
}
