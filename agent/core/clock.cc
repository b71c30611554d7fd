#include "agent/core/clock.h"

#include <time.h>

#include <cstring>

namespace sluice {
namespace {

void put2(char* p, unsigned v) {
  p[0] = static_cast<char>('0' + v / 10);
  p[1] = static_cast<char>('0' + v % 10);
}

bool digits(std::string_view s, size_t pos, size_t n, int* out) {
  if (pos + n > s.size()) return false;
  int v = 0;
  for (size_t i = 0; i < n; ++i) {
    char c = s[pos + i];
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  *out = v;
  return true;
}

}  // namespace

int64_t daysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

void civilFromDays(int64_t z, int64_t* y, unsigned* m, unsigned* d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t yr = static_cast<int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  *d = doy - (153 * mp + 2) / 5 + 1;
  *m = mp < 10 ? mp + 3 : mp - 9;
  *y = yr + (*m <= 2);
}


int64_t wallMicros() {
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000 + ts.tv_nsec / 1000;
}

int64_t monoMicros() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000 + ts.tv_nsec / 1000;
}

void TimestampFormatter::format(int64_t micros, char* out) {
  if (micros == cached_micros_) {
    std::memcpy(out, text_, kLength);
    return;
  }
  int64_t sec = micros >= 0 ? micros / 1000000 : (micros - 999999) / 1000000;
  int64_t frac = micros - sec * 1000000;
  if (sec != cached_second_) {
    int64_t days = sec >= 0 ? sec / 86400 : (sec - 86399) / 86400;
    int64_t rem = sec - days * 86400;
    char* p = text_;
    if (days != cached_day_) {
      int64_t y;
      unsigned m, d;
      civilFromDays(days, &y, &m, &d);
      unsigned yy = static_cast<unsigned>(y < 0 ? 0 : (y > 9999 ? 9999 : y));
      put2(p, yy / 100);
      put2(p + 2, yy % 100);
      p[4] = '-';
      put2(p + 5, m);
      p[7] = '-';
      put2(p + 8, d);
      p[10] = 'T';
      cached_day_ = days;
    }
    put2(p + 11, static_cast<unsigned>(rem / 3600));
    p[13] = ':';
    put2(p + 14, static_cast<unsigned>(rem / 60 % 60));
    p[16] = ':';
    put2(p + 17, static_cast<unsigned>(rem % 60));
    p[19] = '.';
    cached_second_ = sec;
  }
  for (int i = 25; i >= 20; --i) {
    text_[i] = static_cast<char>('0' + frac % 10);
    frac /= 10;
  }
  text_[26] = 'Z';
  cached_micros_ = micros;
  std::memcpy(out, text_, kLength);
}

std::string TimestampFormatter::format(int64_t micros) {
  std::string s(kLength, '\0');
  format(micros, s.data());
  return s;
}

unsigned daysInMonth(int64_t y, unsigned m) {
  static const unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return m == 2 && leap ? 29 : kDays[m - 1];
}

int64_t parseFractionMicros(std::string_view s, size_t& pos) {
  int64_t frac_us = 0;
  int64_t scale = 100000;
  int round_digit = -1;
  while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
    const int dgt = s[pos] - '0';
    if (scale > 0) {
      frac_us += dgt * scale;
      scale /= 10;
    } else if (round_digit < 0) {
      round_digit = dgt;
    }
    ++pos;
  }
  return round_digit >= 5 ? frac_us + 1 : frac_us;
}

Result<int64_t> parseTimestampMicros(std::string_view s) {
  auto bad = [&](const char* why) {
    return makeError("invalid timestamp '" + std::string(s) + "': " + why);
  };
  int year, mon, day, hh = 0, mm = 0, ss = 0;
  if (!digits(s, 0, 4, &year) || s.size() < 10 || s[4] != '-' || !digits(s, 5, 2, &mon) || s[7] != '-' ||
      !digits(s, 8, 2, &day)) {
    return bad("expected YYYY-MM-DD");
  }
  if (mon < 1 || mon > 12 || day < 1 || static_cast<unsigned>(day) > daysInMonth(year, static_cast<unsigned>(mon))) {
    return bad("month or day out of range");
  }
  size_t pos = 10;
  int64_t frac_us = 0;
  int64_t offset_s = 0;
  if (pos < s.size()) {
    if (s[pos] != 'T' && s[pos] != 't' && s[pos] != ' ') return bad("expected 'T' after the date");
    ++pos;
    if (!digits(s, pos, 2, &hh) || pos + 2 >= s.size() || s[pos + 2] != ':' || !digits(s, pos + 3, 2, &mm)) {
      return bad("expected HH:MM");
    }
    pos += 5;
    if (pos < s.size() && s[pos] == ':') {
      if (!digits(s, pos + 1, 2, &ss)) return bad("expected seconds");
      pos += 3;
    }
    if (hh > 23 || mm > 59 || ss > 60) return bad("time out of range");
    if (pos < s.size() && (s[pos] == '.' || s[pos] == ',')) {
      ++pos;
      size_t start = pos;
      frac_us = parseFractionMicros(s, pos);  // may round up to a whole second; the sum below handles it
      if (pos == start) return bad("empty fraction");
    }
    if (pos < s.size()) {
      char c = s[pos];
      if (c == 'Z' || c == 'z') {
        ++pos;
      } else if (c == '+' || c == '-') {
        int oh, om = 0;
        if (!digits(s, pos + 1, 2, &oh)) return bad("bad UTC offset");
        size_t next = pos + 3;
        if (next < s.size() && s[next] == ':') ++next;
        if (next < s.size()) {
          if (!digits(s, next, 2, &om)) return bad("bad UTC offset");
          next += 2;
        }
        offset_s = (oh * 3600 + om * 60) * (c == '-' ? -1 : 1);
        pos = next;
      }
    }
    if (pos != s.size()) return bad("unexpected characters at the end");
  }
  int64_t days = daysFromCivil(year, static_cast<unsigned>(mon), static_cast<unsigned>(day));
  int64_t secs = days * 86400 + hh * 3600 + mm * 60 + ss - offset_s;
  return secs * 1000000 + frac_us;
}

}  // namespace sluice
