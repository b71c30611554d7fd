#pragma once
#include <cstdint>
#include <string>
#include <string_view>

#include "agent/core/result.h"

namespace sluice {

// Days since 1970-01-01 of a proleptic Gregorian date, and back (Howard Hinnant's algorithms): no timegm,
// no locale or TZ state.
int64_t daysFromCivil(int64_t year, unsigned month, unsigned day);
// Days in `month` (1-12) of `year` (proleptic Gregorian).
unsigned daysInMonth(int64_t year, unsigned month);
void civilFromDays(int64_t days, int64_t* year, unsigned* month, unsigned* day);

// Microseconds since the Unix epoch (CLOCK_REALTIME). A vDSO call, not a syscall; still, hot paths take it
// once per read, not once per line.
int64_t wallMicros();
// Monotonic microseconds, for durations.
int64_t monoMicros();

// Writes RFC 3339 UTC with exactly six fractional digits ("2026-11-21T10:31:00.123456Z", 27 bytes).
// The date is cached per day and "YYYY-MM-DDTHH:MM:SS." per second (a log stream is mostly within one second; an
// access log replayed may change its second at every line), and the whole text per microsecond: the lines of one
// read share their time of arrival.
class TimestampFormatter {
 public:
  static constexpr size_t kLength = 27;
  // Writes kLength bytes at `out`.
  void format(int64_t micros, char* out);
  std::string format(int64_t micros);

 private:
  int64_t cached_day_ = INT64_MIN;
  int64_t cached_second_ = INT64_MIN;
  int64_t cached_micros_ = INT64_MIN;
  // "YYYY-MM-DDT" (cached_day_), "HH:MM:SS." (cached_second_), then "ffffffZ" (cached_micros_)
  char text_[kLength] = {};
};

// Parses ISO 8601 / RFC 3339 instants of any precision: "2020-03-27", "2020-03-29T11:01:02Z",
// "2020-03-29T11:01:02.120000Z", "2015-02-16T02:02:43.930163178+01:00", "2020-03-29 11:01:02". Without an offset,
// UTC is assumed. Fractions beyond microseconds are rounded to the nearest microsecond.
Result<int64_t> parseTimestampMicros(std::string_view text);

// The digits of a decimal fraction of a second from `pos` (left after them), in microseconds, rounded half up at
// the seventh digit (so it may be 1,000,000).
int64_t parseFractionMicros(std::string_view s, size_t& pos);

}  // namespace sluice
