#include <catch2/catch.hpp>

#include "agent/core/units.h"

using namespace sluice;
using namespace std::chrono_literals;

TEST_CASE("sizes accept binary and decimal units", "[config]") {
  CHECK(*parseSize("512") == 512);
  CHECK(*parseSize("512B") == 512);
  CHECK(*parseSize("64KiB") == 64 * 1024);
  CHECK(*parseSize("16MiB") == 16 * 1024 * 1024);
  CHECK(*parseSize("1GiB") == uint64_t{1} << 30);
  CHECK(*parseSize("2TiB") == uint64_t{2} << 40);
  CHECK(*parseSize("1KB") == 1000);
  CHECK(*parseSize("1MB") == 1000000);
  CHECK(*parseSize("1GB") == 1000000000);
  CHECK(*parseSize("0") == 0);
}

TEST_CASE("sizes accept fractions, spaces around the unit and any letter case", "[config]") {
  CHECK(*parseSize("1.5MiB") == 1572864);
  CHECK(*parseSize("0.5KiB") == 512);
  CHECK(*parseSize(" 64 KiB ") == 64 * 1024);
  CHECK(*parseSize("64kib") == 64 * 1024);
}

TEST_CASE("a size with an unknown unit or no number is an error that lists the units", "[config]") {
  Result<uint64_t> r = parseSize("64XB");
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message == "invalid size '64XB' (expected a number and a unit: B, KiB, MiB, GiB, TiB, KB, MB, GB, TB)");
  CHECK_FALSE(parseSize("").ok());
  CHECK_FALSE(parseSize("MiB").ok());
  CHECK_FALSE(parseSize("-1KiB").ok());
  CHECK_FALSE(parseSize("1..5MiB").ok());
  CHECK_FALSE(parseSize("1K").ok());  // ambiguous: KB or KiB
}

TEST_CASE("a size beyond 64 bits is an error, not a wrapped number", "[config]") {
  Result<uint64_t> r = parseSize("20000000TiB");
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message == "size '20000000TiB' is too large");
}

TEST_CASE("a size above 8 PiB is too large, however it is written", "[config]") {
  // The largest plain number is 2^53; a fraction of a large unit could go past it and then formatted to a text
  // that did not parse again (found by fuzzing: tests/fuzz/regressions/units).
  CHECK(*parseSize("9007199254740992") == uint64_t{1} << 53);
  CHECK(*parseSize("8192TiB") == uint64_t{1} << 53);
  Result<uint64_t> r = parseSize("14684474.7371615TiB");
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message == "size '14684474.7371615TiB' is too large");
  CHECK_FALSE(parseSize("8192.001TiB").ok());
}

TEST_CASE("a duration above 2^64 microseconds is too long, however it is written", "[config]") {
  // Parts that each fit could add up to more than the largest part does, and then be formatted to a text that did
  // not parse again (found by fuzzing: tests/fuzz/regressions/units).
  REQUIRE(parseDuration("213503982d").ok());
  CHECK(*parseDuration(formatDuration(*parseDuration("213503982d"))) == *parseDuration("213503982d"));
  CHECK_FALSE(parseDuration("213503983d").ok());
  std::string many;
  for (int i = 0; i < 4; ++i) many += "5000000000000000ms";
  Result<std::chrono::milliseconds> r = parseDuration(many);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message == "duration '" + many + "' is too long");
}

TEST_CASE("durations accept every unit and combinations of them", "[config]") {
  CHECK(*parseDuration("0") == 0ms);
  CHECK(*parseDuration("250ms") == 250ms);
  CHECK(*parseDuration("5s") == 5s);
  CHECK(*parseDuration("1m") == 1min);
  CHECK(*parseDuration("1m30s") == 90s);
  CHECK(*parseDuration("2h") == 2h);
  CHECK(*parseDuration("7d") == 7 * 24h);
  CHECK(*parseDuration("1.5s") == 1500ms);
  CHECK(*parseDuration("1h30m15s500ms") == 1h + 30min + 15s + 500ms);
  CHECK(*parseDuration("0s") == 0ms);
}

TEST_CASE("a duration below a millisecond rounds up so that it stays non-zero", "[config]") {
  CHECK(*parseDuration("100us") == 1ms);
  CHECK(*parseDuration("2000us") == 2ms);
  CHECK(*parseDuration("2500us") == 3ms);
}

TEST_CASE("a bare number other than 0 is not a duration: the unit must be explicit", "[config]") {
  Result<std::chrono::milliseconds> r = parseDuration("5");
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message == "duration '5' needs a unit (e.g. 5s or 5ms)");
}

TEST_CASE("a duration with an unknown unit is an error that lists the units", "[config]") {
  Result<std::chrono::milliseconds> r = parseDuration("5 minutes");
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message == "invalid duration '5 minutes' (expected a number and a unit: us, ms, s, m, h, d; e.g. 250ms, 1m30s)");
  CHECK_FALSE(parseDuration("").ok());
  CHECK_FALSE(parseDuration("-5s").ok());
  CHECK_FALSE(parseDuration("1m30").ok());
  CHECK_FALSE(parseDuration("s").ok());
}

TEST_CASE("formatted sizes use the largest exact binary unit", "[config]") {
  CHECK(formatSize(16 * 1024 * 1024) == "16MiB");
  CHECK(formatSize(1536) == "1.5KiB");
  CHECK(formatSize(100) == "100B");
  CHECK(formatSize(0) == "0B");
  CHECK(formatSize(1500) == "1500B");
  CHECK(formatSize(uint64_t{1} << 30) == "1GiB");
  CHECK(formatSize((uint64_t{1} << 20) + (uint64_t{1} << 20) / 4) == "1.25MiB");
}

TEST_CASE("formatted durations combine units from days to milliseconds", "[config]") {
  CHECK(formatDuration(200ms) == "200ms");
  CHECK(formatDuration(30s) == "30s");
  CHECK(formatDuration(90s) == "1m30s");
  CHECK(formatDuration(0ms) == "0s");
  CHECK(formatDuration(24h + 1ms) == "1d1ms");
}

TEST_CASE("formatted sizes and durations parse back to the same value", "[config]") {
  for (uint64_t bytes : {uint64_t{0}, uint64_t{1}, uint64_t{1023}, uint64_t{1024}, uint64_t{1536}, uint64_t{1000000},
                         uint64_t{123456789}, uint64_t{1} << 40}) {
    CAPTURE(bytes);
    CHECK(*parseSize(formatSize(bytes)) == bytes);
  }
  for (auto d : {0ms, 1ms, 999ms, 1000ms, 61001ms, 3600000ms, 90061001ms}) {
    CAPTURE(d.count());
    CHECK(*parseDuration(formatDuration(d)) == d);
  }
}

TEST_CASE("counts read as English: thousands separators and the noun's number") {
  CHECK(countOf(0, "line") == "0 lines");
  CHECK(countOf(1, "line") == "1 line");
  CHECK(countOf(2, "message") == "2 messages");
  CHECK(countOf(1204, "line") == "1,204 lines");
  CHECK(countOf(1234567, "file") == "1,234,567 files");
  CHECK(countOf(3, "entry", "entries") == "3 entries");
}

TEST_CASE("rough durations keep the two largest units, rounded, for people to read") {
  using std::chrono::milliseconds;
  CHECK(roughDuration(milliseconds(363)) == "363ms");
  CHECK(roughDuration(milliseconds(5000)) == "5s");
  CHECK(roughDuration(milliseconds(5400)) == "5s");
  CHECK(roughDuration(milliseconds(65363)) == "1m5s");
  CHECK(roughDuration(milliseconds(3 * 3600000 + 100000)) == "3h2m");
  CHECK(roughDuration(milliseconds(0)) == "0ms");
}
