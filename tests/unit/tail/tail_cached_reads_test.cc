// A backlog in the page cache is read on the loop (no thread pool hand-off per 128 KiB), in bursts that leave the
// loop its turns; what the page cache does not hold is read in the thread pool, so the loop never waits for a disk.
#include <catch2/catch.hpp>

#include "tests/unit/tail/tail_fixture.h"

using namespace sluice;
using namespace sluice::plugins::tail;
using namespace std::chrono_literals;

namespace {

constexpr size_t kLines = 40000;   // 4 MiB of 100-byte lines

std::string backlog() {
  std::string text;
  text.reserve(kLines * 101);
  for (size_t i = 0; i < kLines; ++i) {
    std::string line = "line " + std::to_string(i) + " ";
    line.resize(100, 'x');
    text += line + "\n";
  }
  return text;
}

// Batches of 1,000, several in flight: 40,000 lines go by in a few hundred batches.
SinkSettings bulkSink() {
  SinkSettings s = fastBatchSink();
  s.batch.max_messages = 1000;
  s.max_in_flight = 4;
  return s;
}

size_t deliveredCount(const TailFilesFixture& t) {
  size_t n = 0;
  for (const auto& batch : t.sink.transport->delivered) n += batch.size();
  return n;
}

bool waitForAll(TailFilesFixture& t) {
  return runLoopUntil(t.loop, [&] { return deliveredCount(t) >= kLines; }, std::chrono::seconds(60));
}

}  // namespace

TEST_CASE("a backlog in the page cache is read on the loop, at most a burst per loop turn") {
  TailFilesFixture t(bulkSink());
  t.append("app.log", backlog());
  t.start();
  // The bytes the source took in each loop turn, seen from a check handle (it runs once per turn).
  struct Turns {
    const ComponentCounters* counters;
    uint64_t last = 0;
    uint64_t most = 0;
    uint64_t turns = 0;
  } turns{&t.source->counters()};
  UvHandle<uv_check_t> check;
  REQUIRE(check.init(&turns, [&](uv_check_t* h) { return uv_check_init(t.loop.get(), h); }) == 0);
  uv_check_start(check.get(), [](uv_check_t* h) noexcept {
    auto* s = ownerOf<Turns>(h);
    s->most = std::max(s->most, s->counters->received_bytes - s->last);
    s->last = s->counters->received_bytes;
    ++s->turns;
  });
  REQUIRE(waitForAll(t));
  check.close();
  CHECK(deliveredCount(t) == kLines);
  CHECK(t.source->readsInPool() == 0);
  CHECK(t.source->readsCached() >= kLines * 101 / (128 * 1024));
  // A burst, and what one read past it may bring: the loop had its turns in between.
  CHECK(turns.most <= TailSource::kCachedReadBurst + 128 * 1024);
  CHECK(turns.turns >= 4);
}

TEST_CASE("a backlog the page cache does not hold is read in the thread pool") {
  // What the page cache does not hold (EAGAIN from the read that does not wait) goes to the pool; the kernel's
  // readahead keeps a file read in order ahead of the reads, so a test cannot count on EAGAIN: it turns the reads on
  // the loop off instead.
  TailFilesFixture t(bulkSink());
  t.options.cached_reads = false;
  t.append("app.log", backlog());
  t.start();
  REQUIRE(waitForAll(t));
  CHECK(deliveredCount(t) == kLines);
  CHECK(t.source->readsCached() == 0);
  CHECK(t.source->readsInPool() >= kLines * 101 / (128 * 1024));
}
