#include "agent/admin/recent_dump.h"

namespace sluice {

std::string dumpRecentLines(const RecentLines& ring, LineFormatter& formatter, const LogFilter& filter, size_t n,
                            LogFormat format) {
  uint64_t seq = ring.nextSeq();
  size_t found = 0;
  LogLine line;
  while (found < n && seq > ring.firstSeq()) {
    --seq;
    if (ring.get(seq, &line) && filter.matches(line)) ++found;
  }
  std::string body;
  size_t emitted = 0;
  for (; seq < ring.nextSeq() && emitted < found; ++seq) {
    if (!ring.get(seq, &line) || !filter.matches(line)) continue;
    if (format == LogFormat::Json) body.append(emitted == 0 ? "[\n" : ",\n");
    formatter.append(line, format, body);
    ++emitted;
  }
  if (format == LogFormat::Json) body.append(emitted == 0 ? "[]\n" : "\n]\n");
  return body;
}

std::string_view logFormatContentType(LogFormat format) {
  switch (format) {
    case LogFormat::Ndjson:
      return "application/x-ndjson";
    case LogFormat::Json:
      return "application/json";
    default:
      return "text/plain; charset=utf-8";
  }
}

}  // namespace sluice
