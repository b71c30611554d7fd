#include "agent/formats/access_line.h"

#include "agent/core/clock.h"

#include <cstring>

namespace sluice {
namespace {

constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

bool digit(char c) { return c >= '0' && c <= '9'; }

bool digits(std::string_view s, size_t pos, size_t n, int* value) {
  if (pos + n > s.size()) return false;
  int v = 0;
  for (size_t i = 0; i < n; ++i) {
    if (!digit(s[pos + i])) return false;
    v = v * 10 + (s[pos + i] - '0');
  }
  *value = v;
  return true;
}


void put2(std::string& out, unsigned v) {
  out.push_back(static_cast<char>('0' + v / 10 % 10));
  out.push_back(static_cast<char>('0' + v % 10));
}

// Canonical decimal: "0" or no leading zero, at most 19 digits (so that writing it back gives the same text).
bool canonicalNumber(std::string_view s, uint64_t* value) {
  if (s.empty() || s.size() > 19 || (s.size() > 1 && s[0] == '0')) return false;
  uint64_t v = 0;
  for (char c : s) {
    if (!digit(c)) return false;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  *value = v;
  return true;
}

// "HTTP/1.1", "HTTP/2.0", "SPDY/3": letters, a slash, a version.
bool protocolWord(std::string_view s) {
  size_t slash = s.find('/');
  if (slash == 0 || slash == std::string_view::npos || slash + 1 == s.size()) return false;
  for (size_t i = 0; i < slash; ++i) {
    char c = s[i];
    if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (i > 0 && (digit(c) || c == '-')))) return false;
  }
  if (!digit(s[slash + 1])) return false;
  for (size_t i = slash + 1; i < s.size(); ++i) {
    if (!digit(s[i]) && s[i] != '.') return false;
  }
  return true;
}

// The request line: METHOD [SP PATH [SP PROTO]]; a path may hold spaces, PROTO is the last word when it looks
// like one ("HTTP/1.1"). "-" is no request at all (a connection closed before one came).
void splitRequest(std::string_view req, AccessFields* f) {
  f->has_method = f->has_path = f->has_proto = false;
  if (req == "-") return;
  f->has_method = true;
  size_t first = req.find(' ');
  if (first == std::string_view::npos) {
    f->method = req;
    return;
  }
  f->method = req.substr(0, first);
  f->has_path = true;
  size_t last = req.rfind(' ');
  if (last > first && protocolWord(req.substr(last + 1))) {
    f->path = req.substr(first + 1, last - first - 1);
    f->proto = req.substr(last + 1);
    f->has_proto = true;
  } else {
    f->path = req.substr(first + 1);
  }
}

// The end of the quoted request: a '"' followed by " DDD" and a space or the end of the line.
size_t requestEnd(std::string_view line, size_t from) {
  size_t q = from;
  while ((q = line.find('"', q)) != std::string_view::npos) {
    if (q + 5 <= line.size() && line[q + 1] == ' ' && digit(line[q + 2]) && digit(line[q + 3]) && digit(line[q + 4]) &&
        (q + 5 == line.size() || line[q + 5] == ' ')) {
      return q;
    }
    ++q;
  }
  return std::string_view::npos;
}

bool rtimeToken(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (c == ' ' || c == '"' || c == '[' || c == ']') return false;
  }
  return true;
}

void appendEscapingNewlines(std::string& out, std::string_view s) {
  size_t start = 0;
  for (;;) {
    size_t nl = s.find_first_of("\n\r", start);
    if (nl == std::string_view::npos) break;
    out.append(s.substr(start, nl - start));
    out.append(s[nl] == '\n' ? "\\n" : "\\r");
    start = nl + 1;
  }
  out.append(s.substr(start));
}

}  // namespace

bool parseOffset(std::string_view s, int* tz_minutes) {
  if (s == "Z" || s == "z") {
    *tz_minutes = 0;
    return true;
  }
  if (s.size() != 5 && s.size() != 6) return false;
  if (s[0] != '+' && s[0] != '-') return false;
  int h = 0, m = 0;
  size_t mpos = s.size() == 6 ? 4 : 3;
  if (s.size() == 6 && s[3] != ':') return false;
  if (!digits(s, 1, 2, &h) || !digits(s, mpos, 2, &m) || h > 23 || m > 59) return false;
  *tz_minutes = (s[0] == '-' ? -1 : 1) * (h * 60 + m);
  return true;
}

void formatOffset(int tz, bool colon, std::string& out) {
  out.push_back(tz < 0 ? '-' : '+');
  unsigned a = static_cast<unsigned>(tz < 0 ? -tz : tz);
  put2(out, a / 60);
  if (colon) out.push_back(':');
  put2(out, a % 60);
}

bool parseClfTime(std::string_view s, int64_t* utc_us, int* tz_minutes, bool* exact) {
  // dd/Mon/yyyy:HH:MM:SS[.f{1,6}] +zzzz
  int day = 0, year = 0, hour = 0, minute = 0, second = 0;
  if (s.size() < 26 || !digits(s, 0, 2, &day) || s[2] != '/' || s[6] != '/' || !digits(s, 7, 4, &year) ||
      s[11] != ':' || !digits(s, 12, 2, &hour) || s[14] != ':' || !digits(s, 15, 2, &minute) || s[17] != ':' ||
      !digits(s, 18, 2, &second)) {
    return false;
  }
  unsigned month = 0;
  for (unsigned i = 0; i < 12; ++i) {
    if (std::memcmp(s.data() + 3, kMonths[i], 3) == 0) month = i + 1;
  }
  if (month == 0 || day < 1 || static_cast<unsigned>(day) > daysInMonth(year, month) || hour > 23 || minute > 59 ||
      second > 60) {
    return false;
  }
  size_t pos = 20;
  int64_t frac = 0;
  size_t written_digits = 0;
  if (pos < s.size() && s[pos] == '.') {
    size_t n = 0;
    ++pos;
    while (pos < s.size() && digit(s[pos]) && n < 6) {
      frac = frac * 10 + (s[pos] - '0');
      ++pos;
      ++n;
    }
    if (n == 0) return false;
    written_digits = n;
    for (; n < 6; ++n) frac *= 10;
  }
  if (pos >= s.size() || s[pos] != ' ') return false;
  int tz = 0;
  if (!parseOffset(s.substr(pos + 1), &tz) || s.size() - pos - 1 != 5) return false;
  if (exact != nullptr) {
    // What formatClfTime writes: no fraction for whole seconds, 3 digits for whole milliseconds, else 6.
    size_t canonical = frac == 0 ? 0 : frac % 1000 == 0 ? 3 : 6;
    *exact = written_digits == canonical && second < 60 && !(tz == 0 && s[pos + 1] == '-');
  }
  int64_t local = daysFromCivil(year, month, static_cast<unsigned>(day)) * 86400 + hour * 3600 + minute * 60 + second;
  *utc_us = (local - static_cast<int64_t>(tz) * 60) * 1000000 + frac;
  *tz_minutes = tz;
  return true;
}

void formatClfTime(int64_t utc_us, int tz, std::string& out) {
  int64_t local_us = utc_us + static_cast<int64_t>(tz) * 60 * 1000000;
  int64_t secs = local_us >= 0 ? local_us / 1000000 : (local_us - 999999) / 1000000;
  int64_t frac = local_us - secs * 1000000;
  int64_t days = secs >= 0 ? secs / 86400 : (secs - 86399) / 86400;
  int64_t sod = secs - days * 86400;
  int64_t y = 0;
  unsigned m = 0, d = 0;
  civilFromDays(days, &y, &m, &d);
  put2(out, d);
  out.push_back('/');
  out.append(kMonths[m - 1]);
  out.push_back('/');
  std::string year = std::to_string(y);
  if (year.size() < 4) year.insert(0, 4 - year.size(), '0');
  out.append(year);
  out.push_back(':');
  put2(out, static_cast<unsigned>(sod / 3600));
  out.push_back(':');
  put2(out, static_cast<unsigned>(sod / 60 % 60));
  out.push_back(':');
  put2(out, static_cast<unsigned>(sod % 60));
  if (frac != 0) {
    // Milliseconds when that is all there is (a server writing .123), else microseconds.
    char buf[8];
    if (frac % 1000 == 0) {
      snprintf(buf, sizeof buf, ".%03d", static_cast<int>(frac / 1000));
    } else {
      snprintf(buf, sizeof buf, ".%06d", static_cast<int>(frac));
    }
    out.append(buf);
  }
  out.push_back(' ');
  formatOffset(tz, false, out);
}

namespace {

// "[vhost] client ident user " before the time: three or four words, each ended by one space (one pass over the
// few bytes: a search per word cost more than the words).
bool parseWords(std::string_view prefix, AccessFields* f) {
  std::string_view words[4];
  size_t n = 0;
  size_t start = 0;
  for (size_t i = 0; i < prefix.size(); ++i) {
    if (prefix[i] != ' ') continue;
    if (i == start || n == 4) return false;  // an empty word, or a fifth
    words[n++] = prefix.substr(start, i - start);
    start = i + 1;
  }
  if (start != prefix.size() || n < 3) return false;  // a last word without its space, or too few
  f->has_vhost = n == 4;
  f->vhost = n == 4 ? words[0] : std::string_view();
  f->client = words[n - 3];
  f->ident = words[n - 2];
  f->user = words[n - 1];
  return true;
}

// Where the time field's " [" is: the first one followed by a digit. Found by its '[' (a line has few), not by
// its space (a line has many).
size_t timeOpen(std::string_view line) {
  const char* d = line.data();
  const size_t n = line.size();
  size_t p = 1;
  while (p + 1 < n) {
    const void* hit = std::memchr(d + p, '[', n - 1 - p);
    if (hit == nullptr) break;
    p = static_cast<size_t>(static_cast<const char*>(hit) - d);
    if (d[p - 1] == ' ' && digit(d[p + 1])) return p - 1;
    ++p;
  }
  return std::string_view::npos;
}

// Consecutive lines mostly share their time: the last one parsed is kept (per thread).
bool parseTimeCached(std::string_view time, AccessFields* f) {
  struct TimeCache {
    char text[40];
    size_t len = 0;
    int64_t us = 0;
    int tz = 0;
    bool exact = true;
  };
  thread_local TimeCache cache;
  bool exact = true;
  if (time.size() == cache.len && std::memcmp(time.data(), cache.text, time.size()) == 0) {
    f->time_us = cache.us;
    f->tz_minutes = cache.tz;
    exact = cache.exact;
  } else {
    if (!parseClfTime(time, &f->time_us, &f->tz_minutes, &exact)) return false;
    if (time.size() <= sizeof cache.text) {
      std::memcpy(cache.text, time.data(), time.size());
      cache.len = time.size();
      cache.us = f->time_us;
      cache.tz = f->tz_minutes;
      cache.exact = exact;
    }
  }
  f->time_text = exact ? std::string_view() : time;
  return true;
}

// What follows the status: " BYTES", then optionally ` "REFERER" "USER-AGENT"` and ` RTIME`.
bool parseAfterStatus(std::string_view rest, AccessFields* f) {
  if (rest.empty() || rest[0] != ' ') return false;
  rest.remove_prefix(1);
  size_t sp = rest.find(' ');
  std::string_view bytes = rest.substr(0, sp);
  rest = sp == std::string_view::npos ? std::string_view() : rest.substr(sp);
  if (bytes == "-") {
    f->bytes = 0;
    f->bytes_dash = true;
  } else if (canonicalNumber(bytes, &f->bytes)) {
    f->bytes_dash = false;
  } else {
    return false;
  }
  f->combined = false;
  f->has_rtime = false;
  f->referer = f->user_agent = f->rtime = {};
  if (rest.empty()) return true;
  if (rest.starts_with(" \"")) {
    // "REFERER" "USER-AGENT": the referer ends at the first `" "`, the user agent at the last quote of the line.
    size_t ref_end = rest.find("\" \"", 2);
    size_t last = rest.rfind('"');
    if (ref_end == std::string_view::npos || last < ref_end + 3) return false;
    f->referer = rest.substr(2, ref_end - 2);
    f->user_agent = rest.substr(ref_end + 3, last - ref_end - 3);
    f->combined = true;
    rest = rest.substr(last + 1);
    if (rest.empty()) return true;
  }
  if (rest.size() < 2 || rest[0] != ' ' || !rtimeToken(rest.substr(1))) return false;
  f->rtime = rest.substr(1);
  f->has_rtime = true;
  return true;
}

}  // namespace

bool parseAccessLine(std::string_view line, AccessFields* f) {
  // The time field anchors everything: " [dd/Mon/yyyy:..." after three or four space-separated words.
  const size_t open = timeOpen(line);
  if (open == std::string_view::npos) return false;
  size_t close = line.find(']', open);
  if (close == std::string_view::npos) return false;
  // The prefix keeps the space that ends the last word.
  if (!parseWords(line.substr(0, open + 1), f)) return false;
  if (!parseTimeCached(line.substr(open + 2, close - open - 2), f)) return false;
  // "] \"REQUEST\" STATUS BYTES"
  size_t req_start = close + 3;
  if (line.size() < req_start || line[close + 1] != ' ' || line[close + 2] != '"') return false;
  size_t req_end = requestEnd(line, req_start);
  if (req_end == std::string_view::npos) return false;
  splitRequest(line.substr(req_start, req_end - req_start), f);
  f->status = (line[req_end + 2] - '0') * 100 + (line[req_end + 3] - '0') * 10 + (line[req_end + 4] - '0');
  return parseAfterStatus(line.substr(req_end + 5), f);
}

void formatAccessLine(const AccessFields& f, std::string& out) {
  if (f.has_vhost) {
    appendEscapingNewlines(out, f.vhost);
    out.push_back(' ');
  }
  appendEscapingNewlines(out, f.client);
  out.push_back(' ');
  appendEscapingNewlines(out, f.ident);
  out.push_back(' ');
  appendEscapingNewlines(out, f.user);
  out.append(" [");
  if (f.time_text.empty()) {
    formatClfTime(f.time_us, f.tz_minutes, out);
  } else {
    out.append(f.time_text);
  }
  out.append("] \"");
  if (!f.has_method) {
    out.push_back('-');
  } else {
    appendEscapingNewlines(out, f.method);
    if (f.has_path) {
      out.push_back(' ');
      appendEscapingNewlines(out, f.path);
    }
    if (f.has_proto) {
      out.push_back(' ');
      appendEscapingNewlines(out, f.proto);
    }
  }
  out.append("\" ");
  char status[4] = {static_cast<char>('0' + f.status / 100 % 10), static_cast<char>('0' + f.status / 10 % 10),
                    static_cast<char>('0' + f.status % 10), 0};
  out.append(status);
  out.push_back(' ');
  if (f.bytes_dash) {
    out.push_back('-');
  } else {
    out.append(std::to_string(f.bytes));
  }
  if (f.combined) {
    out.append(" \"");
    appendEscapingNewlines(out, f.referer);
    out.append("\" \"");
    appendEscapingNewlines(out, f.user_agent);
    out.push_back('"');
  }
  if (f.has_rtime) {
    out.push_back(' ');
    appendEscapingNewlines(out, f.rtime);
  }
}

}  // namespace sluice
