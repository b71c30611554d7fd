#include "agent/core/units.h"

#include <array>
#include <cctype>

namespace sluice {
namespace {

// A non-negative decimal number kept exact as mantissa / 10^scale, so "1.5MiB" and "0.1s" convert without
// floating-point surprises.
struct Decimal {
  uint64_t mantissa = 0;
  uint64_t scale = 1;  // a power of ten
};

constexpr uint64_t kMaxMantissa = uint64_t{1} << 53;  // far beyond any sane size or duration, far below overflow

// Reads digits with an optional fraction at `pos`; false when there is no number or it is too long.
bool readDecimal(std::string_view text, size_t& pos, Decimal& out) {
  size_t start = pos;
  bool digits = false;
  bool dot = false;
  out = {};
  for (; pos < text.size(); ++pos) {
    char c = text[pos];
    if (c == '.' && !dot) {
      dot = true;
      continue;
    }
    if (c < '0' || c > '9') break;
    digits = true;
    out.mantissa = out.mantissa * 10 + static_cast<uint64_t>(c - '0');
    if (dot) out.scale *= 10;
    if (out.mantissa > kMaxMantissa || out.scale > 1000000000000ULL) return false;
  }
  // "5." and ".5" are accepted; a lone "." is not.
  return digits && pos > start;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

bool equalsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

struct SizeUnit {
  std::string_view name;
  uint64_t bytes;
};

constexpr std::array<SizeUnit, 9> kSizeUnits = {{
    {"B", 1},
    {"KiB", uint64_t{1} << 10},
    {"MiB", uint64_t{1} << 20},
    {"GiB", uint64_t{1} << 30},
    {"TiB", uint64_t{1} << 40},
    {"KB", 1000},
    {"MB", 1000 * 1000},
    {"GB", 1000 * 1000 * 1000},
    {"TB", uint64_t{1000} * 1000 * 1000 * 1000},
}};

struct DurationUnit {
  std::string_view name;
  uint64_t micros;
};

constexpr std::array<DurationUnit, 7> kDurationUnits = {{
    {"us", 1},
    {"µs", 1},
    {"ms", 1000},
    {"s", 1000 * 1000},
    {"m", 60ULL * 1000 * 1000},
    {"h", 3600ULL * 1000 * 1000},
    {"d", 86400ULL * 1000 * 1000},
}};

// mantissa * factor / scale, rounded to nearest; false on overflow.
bool scaleDecimal(const Decimal& d, uint64_t factor, uint64_t& out) {
  unsigned __int128 v = static_cast<unsigned __int128>(d.mantissa) * factor;
  v = (v + d.scale / 2) / d.scale;
  if (v > static_cast<unsigned __int128>(UINT64_MAX)) return false;
  out = static_cast<uint64_t>(v);
  return true;
}

Error sizeError(std::string_view text) {
  return makeError("invalid size '" + std::string(text) +
                   "' (expected a number and a unit: B, KiB, MiB, GiB, TiB, KB, MB, GB, TB)");
}

Error durationError(std::string_view text) {
  return makeError("invalid duration '" + std::string(text) +
                   "' (expected a number and a unit: us, ms, s, m, h, d; e.g. 250ms, 1m30s)");
}

}  // namespace

Result<uint64_t> parseSize(std::string_view text) {
  std::string_view s = trim(text);
  size_t pos = 0;
  Decimal d;
  if (!readDecimal(s, pos, d)) return sizeError(text);
  std::string_view unit = trim(s.substr(pos));
  uint64_t factor = 0;
  if (unit.empty()) {
    factor = 1;  // plain bytes
  } else {
    for (const SizeUnit& u : kSizeUnits) {
      if (equalsIgnoreCase(unit, u.name)) factor = u.bytes;
    }
  }
  if (factor == 0) return sizeError(text);
  uint64_t bytes = 0;
  // The bound of a plain number too, so that every size formatSize() writes parses again.
  if (!scaleDecimal(d, factor, bytes) || bytes > kMaxMantissa) {
    return makeError("size '" + std::string(text) + "' is too large");
  }
  return bytes;
}

Result<std::chrono::milliseconds> parseDuration(std::string_view text) {
  std::string_view s = trim(text);
  if (s == "0") return std::chrono::milliseconds{0};
  if (s.empty()) return durationError(text);
  unsigned __int128 total_us = 0;
  size_t pos = 0;
  while (pos < s.size()) {
    Decimal d;
    if (!readDecimal(s, pos, d)) return durationError(text);
    size_t unit_start = pos;
    while (pos < s.size() && !(s[pos] >= '0' && s[pos] <= '9') && s[pos] != '.') ++pos;
    std::string_view unit = s.substr(unit_start, pos - unit_start);
    if (unit.empty()) {
      if (unit_start == s.size() && s.find_first_not_of("0123456789.") == std::string_view::npos) {
        return makeError("duration '" + std::string(text) + "' needs a unit (e.g. " + std::string(s) + "s or " +
                         std::string(s) + "ms)");
      }
      return durationError(text);
    }
    uint64_t factor = 0;
    for (const DurationUnit& u : kDurationUnits) {
      if (unit == u.name) factor = u.micros;
    }
    if (factor == 0) return durationError(text);
    uint64_t part = 0;
    if (!scaleDecimal(d, factor, part)) return makeError("duration '" + std::string(text) + "' is too long");
    total_us += part;
  }
  // Rounded up, so a small but non-zero duration ("100us") never becomes 0 ("no delay", "no timeout"). At most
  // 2^64 microseconds (some 584,000 years) in all, so that every duration formatDuration() writes parses again.
  unsigned __int128 ms = (total_us + 999) / 1000;
  if (ms > UINT64_MAX / 1000) {
    return makeError("duration '" + std::string(text) + "' is too long");
  }
  return std::chrono::milliseconds{static_cast<int64_t>(ms)};
}

std::string formatSize(uint64_t bytes) {
  // The largest binary unit that shows the value exactly with at most two decimals, so the text parses back to
  // the same number.
  for (size_t i = 4; i >= 1; --i) {
    uint64_t unit = kSizeUnits[i].bytes;
    if (bytes < unit) continue;
    uint64_t whole = bytes / unit;
    uint64_t rest = bytes % unit;
    if (rest == 0) return std::to_string(whole) + std::string(kSizeUnits[i].name);
    unsigned __int128 hundredths = static_cast<unsigned __int128>(rest) * 100;
    if (hundredths % unit != 0) continue;
    uint64_t frac = static_cast<uint64_t>(hundredths / unit);
    std::string f = frac % 10 == 0 ? std::to_string(frac / 10) : (frac < 10 ? "0" : "") + std::to_string(frac);
    return std::to_string(whole) + "." + f + std::string(kSizeUnits[i].name);
  }
  return std::to_string(bytes) + "B";
}

std::string formatDuration(std::chrono::milliseconds d) {
  int64_t ms = d.count();
  if (ms == 0) return "0s";
  std::string out;
  if (ms < 0) {
    out = "-";
    ms = -ms;
  }
  struct Part {
    int64_t ms;
    const char* name;
  };
  static constexpr Part kParts[] = {{86400000, "d"}, {3600000, "h"}, {60000, "m"}, {1000, "s"}, {1, "ms"}};
  for (const Part& p : kParts) {
    if (ms >= p.ms) {
      out += std::to_string(ms / p.ms) + p.name;
      ms %= p.ms;
    }
  }
  return out;
}

std::string roughDuration(std::chrono::milliseconds d) {
  int64_t ms = d.count();
  if (ms < 0) return "-" + roughDuration(std::chrono::milliseconds(-ms));
  if (ms < 1000) return std::to_string(ms) + "ms";
  static constexpr int64_t kUnits[] = {86400000, 3600000, 60000, 1000};
  // Rounded to the second-largest unit that the value reaches.
  size_t top = 0;
  while (ms < kUnits[top]) ++top;
  const int64_t step = top + 1 < std::size(kUnits) ? kUnits[top + 1] : 1000;
  return formatDuration(std::chrono::milliseconds((ms + step / 2) / step * step));
}

std::string countOf(uint64_t n, std::string_view singular, std::string_view plural) {
  std::string digits = std::to_string(n);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  out += ' ';
  if (n == 1) {
    out += singular;
  } else if (!plural.empty()) {
    out += plural;
  } else {
    out += singular;
    out += 's';
  }
  return out;
}

}  // namespace sluice
