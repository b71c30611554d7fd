#include <catch2/catch.hpp>

#include "tests/support/sink_harness.h"

using namespace sluice;
using namespace std::chrono_literals;

TEST_CASE("a batch closes at max_messages") {
  SinkSettings s = testSinkSettings();
  s.batch.linger = 10s;
  s.max_in_flight = 1;
  SinkHarness h(s);
  h.send(0, 25);
  h.drain();
  REQUIRE(h.transport->delivered.size() == 3);
  CHECK(h.transport->delivered[0].size() == 10);
  CHECK(h.transport->delivered[2].size() == 5);
  CHECK(h.delivered() == lineTexts(0, 25));
  CHECK(h.runner->counters().sent_events == 25);
}

TEST_CASE("a batch closes at max_bytes") {
  SinkSettings s = testSinkSettings();
  s.batch.max_messages = 1000;
  s.batch.max_bytes = 1024;
  s.max_in_flight = 1;
  SinkHarness h(s);
  h.send(0, 100);
  h.drain();
  CHECK(h.transport->delivered.size() > 3);
  CHECK(h.delivered() == lineTexts(0, 100));
}

TEST_CASE("a batch closes after linger") {
  SinkSettings s = testSinkSettings();
  s.batch.max_messages = 1000;
  s.batch.linger = 20ms;
  SinkHarness h(s);
  h.send(0, 3);
  REQUIRE(runLoopUntil(h.loop, [&] { return !h.transport->delivered.empty(); }, 5s));
  CHECK(h.delivered() == lineTexts(0, 3));
}

TEST_CASE("a retried batch keeps its frame id and is delivered once") {
  SinkSettings s = testSinkSettings();
  s.max_in_flight = 1;
  SinkHarness h(s);
  h.transport->script = {Outcome::retry("HTTP 503", 503), Outcome::retry("reset")};
  h.send(0, 5);
  h.drain();
  CHECK(h.delivered() == lineTexts(0, 5));
  REQUIRE(h.transport->attempts_by_id.size() == 1);
  CHECK(h.transport->attempts_by_id.begin()->second == 3);
  CHECK(h.runner->counters().retries == 2);
  CHECK(h.runner->lost() == 0);
}

TEST_CASE("a rejected batch is not retried and is counted as lost") {
  SinkSettings s = testSinkSettings();
  s.max_in_flight = 1;
  SinkHarness h(s);
  h.transport->script = {Outcome::rejected("HTTP 400", 400)};
  h.send(0, 15);
  h.drain();
  CHECK(h.transport->calls == 2);
  CHECK(h.runner->counters().dropped.at("rejected") == 10);
  CHECK(h.delivered().size() == 5);
}

TEST_CASE("at most max_in_flight batches are outstanding") {
  SinkSettings s = testSinkSettings();
  s.max_in_flight = 3;
  s.batch.max_messages = 1;
  SinkHarness h(s);
  h.send(0, 20);
  h.drain();
  CHECK(h.transport->max_in_flight == 3);
  CHECK(h.delivered().size() == 20);
}

TEST_CASE("when the buffer is full with block the sources are told to pause, then to resume") {
  SinkSettings s = testSinkSettings();
  s.batch.max_messages = 10;
  s.buffer_memory = 2000;
  s.max_in_flight = 1;
  SinkHarness h(s);
  std::vector<bool> events;
  h.runner->onPressure([&](bool full) { events.push_back(full); });
  h.transport->hold = true;
  h.send(0, 100);
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
  CHECK(h.delivered() == lineTexts(0, 100));
}

namespace {

// A memory buffer of a batch or two (1,500 bytes) with `policy`, one batch in flight.
SinkSettings smallBuffer(WhenFull policy) {
  SinkSettings s = testSinkSettings();
  s.buffer_memory = 1500;
  s.max_in_flight = 1;
  s.when_full = policy;
  return s;
}

}  // namespace

TEST_CASE("drop_newest drops new batches when full and reports the exact count in-band", "[sink]") {
  SinkHarness h(smallBuffer(WhenFull::DropNewest));
  h.transport->hold = true;
  h.send(0, 100);
  CHECK(h.runner->counters().dropped.at("buffer_full") > 0);
  h.transport->hold = false;
  h.transport->release();
  h.send(100, 110);
  h.drain();
  uint64_t dropped = h.runner->counters().dropped.at("buffer_full");
  Notices n = countNotices(h.delivered());
  CHECK(n.user + dropped == 110);
  CHECK(n.reported == dropped);  // the last notice goes out at shutdown
  CHECK(n.reason == "(buffer full, drop_newest)");
  // The oldest lines were kept.
  CHECK(h.delivered().front() == "line 0");
}

TEST_CASE("drop_oldest drops the oldest queued batches and keeps the newest", "[sink]") {
  SinkHarness h(smallBuffer(WhenFull::DropOldest));
  h.transport->hold = true;
  h.send(0, 100);
  h.transport->hold = false;
  h.transport->release();
  h.drain();
  uint64_t dropped = h.runner->counters().dropped.at("buffer_full");
  CHECK(dropped > 0);
  auto got = h.delivered();
  Notices n = countNotices(got);
  CHECK(n.user + dropped == 100);
  CHECK(n.reported == dropped);
  CHECK(n.reason == "(buffer full, drop_oldest)");
  CHECK(got.back() == "line 99");
  CHECK(got.front() == "line 0");  // it was already in flight
}

TEST_CASE("drain gives up after its timeout and counts what was left") {
  SinkSettings s = testSinkSettings();
  s.max_in_flight = 1;
  SinkHarness h(s);
  for (int i = 0; i < 1000; ++i) h.transport->script.push_back(Outcome::retry("down"));
  h.send(0, 30);
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
  SinkSettings s = testSinkSettings();
  s.batch.max_messages = 4;
  s.max_in_flight = 1;
  SinkHarness h(s);
  h.transport->hold = true;
  int done = 0;
  bool ok = false;
  AckEntry entry;
  entry.open([&](AckEntry&, bool good) {
    ++done;
    ok = good;
  });
  h.send(0, 10, &entry);  // three batches: 4 + 4 + 2
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
  SinkSettings s = testSinkSettings();
  s.max_in_flight = 1;
  SinkHarness h(s);
  for (int i = 0; i < 1000; ++i) h.transport->script.push_back(Outcome::retry("down"));
  bool done = false, ok = true;
  AckEntry entry;
  entry.open([&](AckEntry&, bool good) {
    done = true;
    ok = good;
  });
  h.append("x", &entry);
  entry.release(true);
  h.drain(30ms);
  CHECK(done);
  CHECK_FALSE(ok);
}

TEST_CASE("dropped and rejected batches acknowledge their input: they are counted, not read again", "[sink][ack]") {
  SinkSettings s = testSinkSettings();
  s.max_in_flight = 1;
  SinkHarness h(s);
  h.transport->script = {Outcome::rejected("HTTP 400", 400)};
  bool ok = false;
  AckEntry entry;
  entry.open([&](AckEntry&, bool good) { ok = good; });
  h.append("x", &entry);
  entry.release(true);
  h.drain();
  CHECK(ok);
  CHECK(h.runner->lost() == 1);
}

TEST_CASE("with two sinks a piece completes after both resolved it", "[sink][ack]") {
  SinkSettings s = testSinkSettings();
  SinkHarness a(s), b(s);
  int done = 0;
  AckEntry entry;
  entry.open([&](AckEntry&, bool) { ++done; });
  a.append("x", &entry);
  b.append("x", &entry);
  entry.release(true);
  a.drain();
  CHECK(done == 0);
  b.drain();
  CHECK(done == 1);
}
