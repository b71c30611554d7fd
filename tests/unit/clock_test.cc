#include <catch2/catch.hpp>

#include "agent/core/clock.h"

using namespace sluice;

TEST_CASE("timestamps are RFC 3339 UTC with exactly six fractional digits") {
  TimestampFormatter f;
  CHECK(f.format(0) == "1970-01-01T00:00:00.000000Z");
  CHECK(f.format(1364414544000000) == "2013-03-27T20:02:24.000000Z");
  CHECK(f.format(1364414544123456) == "2013-03-27T20:02:24.123456Z");
  CHECK(f.format(1364414544000001) == "2013-03-27T20:02:24.000001Z");  // same second: cached prefix
  CHECK(f.format(951782400000000) == "2000-02-29T00:00:00.000000Z");
  CHECK(f.format(4102444799999999) == "2099-12-31T23:59:59.999999Z");
  // The same instant again (the lines of one read), then a new second with the same fraction, and back.
  CHECK(f.format(4102444799999999) == "2099-12-31T23:59:59.999999Z");
  CHECK(f.format(4102444798999999) == "2099-12-31T23:59:58.999999Z");
  CHECK(f.format(1364414544123456) == "2013-03-27T20:02:24.123456Z");
  CHECK(f.format(1364414544123456) == "2013-03-27T20:02:24.123456Z");
  CHECK(f.format(1364414545123456) == "2013-03-27T20:02:25.123456Z");
  // Seconds of the same day (the date cached), across midnight, and a day before the epoch.
  CHECK(f.format(1364428799000000) == "2013-03-27T23:59:59.000000Z");
  CHECK(f.format(1364428800000000) == "2013-03-28T00:00:00.000000Z");
  CHECK(f.format(1364342400000000) == "2013-03-27T00:00:00.000000Z");
  CHECK(f.format(-1) == "1969-12-31T23:59:59.999999Z");
  CHECK(f.format(-86400000000) == "1969-12-31T00:00:00.000000Z");
  // Every second of two days against a formatter that starts afresh each time.
  for (int64_t s = 1364342400 - 86400; s < 1364342400 + 86400; s += 7) {
    TimestampFormatter fresh;
    REQUIRE(f.format(s * 1000000 + s % 1000000) == fresh.format(s * 1000000 + s % 1000000));
  }
}

TEST_CASE("ISO 8601 instants of any precision parse to microseconds") {
  CHECK(*parseTimestampMicros("2013-03-27T20:02:24+00:00") == 1364414544000000);
  CHECK(*parseTimestampMicros("2013-03-27T20:02:24Z") == 1364414544000000);
  CHECK(*parseTimestampMicros("2013-03-27T21:02:24+01:00") == 1364414544000000);
  CHECK(*parseTimestampMicros("2013-03-27T20:02:24.123456Z") == 1364414544123456);
  CHECK(*parseTimestampMicros("2013-03-27T20:02:24.1234565Z") == 1364414544123457);  // rounded
  CHECK(*parseTimestampMicros("2013-03-27T20:02:24.12Z") == 1364414544120000);
  CHECK(*parseTimestampMicros("2013-03-27") == 1364342400000000);
  CHECK(*parseTimestampMicros("2013-03-27 20:02:24") == 1364414544000000);
  CHECK_FALSE(parseTimestampMicros("2013-13-27").ok());
  // A day the month does not have is an error, not the next month's first days (fuzzing found it).
  CHECK_FALSE(parseTimestampMicros("2026-11-31T10:00:00Z").ok());
  CHECK_FALSE(parseTimestampMicros("2025-02-29").ok());
  CHECK(*parseTimestampMicros("2024-02-29") == 1709164800000000);
  CHECK_FALSE(parseTimestampMicros("yesterday").ok());
  CHECK_FALSE(parseTimestampMicros("2013-03-27T20:02:24Zjunk").ok());
}

TEST_CASE("a fraction of a second is read to microseconds, rounded half up at the seventh digit") {
  auto fraction = [](std::string_view s, size_t expect_end) {
    size_t pos = 0;
    const int64_t us = parseFractionMicros(s, pos);
    CHECK(pos == expect_end);
    return us;
  };
  CHECK(fraction("5Z", 1) == 500000);
  CHECK(fraction("123456789Z", 9) == 123457);
  CHECK(fraction("1234564", 7) == 123456);
  CHECK(fraction("9999995", 7) == 1000000);
  CHECK(fraction("Z", 0) == 0);
}
