#include "plugins/tail/cri.h"

#include "agent/core/clock.h"
#include "plugins/tail/event_time.h"

namespace sluice::plugins::tail {

bool parseCriLine(std::string_view line, CriLine& out, EventTimeParser* times) {
  size_t sp1 = line.find(' ');
  if (sp1 == std::string_view::npos || sp1 < 10) return false;
  size_t sp2 = line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos) return false;
  std::string_view stream = line.substr(sp1 + 1, sp2 - sp1 - 1);
  if (stream != "stdout" && stream != "stderr") return false;
  // The tag may carry more flags after ':' in later CRI versions ("F:x"); only the first matters.
  size_t sp3 = line.find(' ', sp2 + 1);
  std::string_view tag = line.substr(sp2 + 1, sp3 == std::string_view::npos ? std::string_view::npos : sp3 - sp2 - 1);
  if (tag.empty() || (tag[0] != 'P' && tag[0] != 'F') || (tag.size() > 1 && tag[1] != ':')) return false;
  // Cheap checks first: the timestamp parse is the costly part and raw text rarely gets this far.
  if (times != nullptr) {
    out.time_us = times->parse(line.substr(0, sp1));
    if (out.time_us == 0) return false;
  } else {
    Result<int64_t> t = parseTimestampMicros(line.substr(0, sp1));
    if (!t) return false;
    out.time_us = *t;
  }
  out.is_stderr = stream == "stderr";
  out.partial = tag[0] == 'P';
  out.message = sp3 == std::string_view::npos ? std::string_view() : line.substr(sp3 + 1);
  return true;
}

}  // namespace sluice::plugins::tail
