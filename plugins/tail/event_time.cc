#include "plugins/tail/event_time.h"

#include "agent/core/clock.h"

namespace sluice::plugins::tail {

int64_t EventTimeParser::parse(std::string_view text) {
  if (text.size() > kPrefix + 1 && text[kPrefix] == '.' && !prefix_.empty() &&
      text.compare(0, kPrefix, prefix_) == 0) {
    size_t pos = kPrefix + 1;
    const int64_t frac_us = parseFractionMicros(text, pos);
    if (pos > kPrefix + 1 && text.substr(pos) == zone_) return base_us_ + frac_us;
  }
  Result<int64_t> full = parseTimestampMicros(text);
  if (!full) return 0;
  // Remember this second for the lines that follow, when the text has the usual shape.
  if (text.size() > kPrefix + 1 && text[kPrefix] == '.') {
    size_t pos = kPrefix + 1;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') ++pos;
    std::string whole(text.substr(0, kPrefix));
    whole.append(text.substr(pos));
    Result<int64_t> base = parseTimestampMicros(whole);
    if (base) {
      prefix_.assign(text.substr(0, kPrefix));
      zone_.assign(text.substr(pos));
      base_us_ = *base;
    }
  }
  return *full;
}

}  // namespace sluice::plugins::tail
