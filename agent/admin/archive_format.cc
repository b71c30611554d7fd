#include "agent/admin/archive_format.h"

#include <algorithm>
#include <cstring>

#include "agent/core/clock.h"

namespace sluice {
namespace {

template <class T>
void put(char*& p, T v) {
  std::memcpy(p, &v, sizeof v);
  p += sizeof v;
}
template <class T>
T get(const char*& p) {
  T v;
  std::memcpy(&v, p, sizeof v);
  p += sizeof v;
  return v;
}

constexpr uint8_t kPreformatted = 1;
constexpr uint8_t kHasInstance = 2;

LineSource cut(const LineSource& s) {
  return LineSource{s.name.substr(0, 0xFFFF), s.type.substr(0, 0xFFFF), s.instance.substr(0, 0xFFFF)};
}

}  // namespace

size_t archiveRecordSize(const Record& r, const LineSource& source) {
  const LineSource s = cut(source);
  return kArchiveHeaderBytes + s.name.size() + s.type.size() + (s.instance.empty() ? 0 : 2 + s.instance.size()) +
         r.message.size();
}

void encodeArchiveRecord(const Record& r, const LineSource& source, ByteBuffer& out) {
  const LineSource s = cut(source);
  const size_t total = archiveRecordSize(r, s);
  char* p = out.prepare(total);
  put<uint32_t>(p, static_cast<uint32_t>(total - 4));
  put<int64_t>(p, r.received_us);
  put<int64_t>(p, r.event_us);
  put<uint8_t>(p, static_cast<uint8_t>(r.severity));
  put<uint8_t>(p, static_cast<uint8_t>((r.preformatted ? kPreformatted : 0) | (s.instance.empty() ? 0 : kHasInstance)));
  put<uint16_t>(p, static_cast<uint16_t>(s.name.size()));
  put<uint16_t>(p, static_cast<uint16_t>(s.type.size()));
  for (std::string_view part : {s.name, s.type}) {
    std::memcpy(p, part.data(), part.size());
    p += part.size();
  }
  if (!s.instance.empty()) {
    put<uint16_t>(p, static_cast<uint16_t>(s.instance.size()));
    std::memcpy(p, s.instance.data(), s.instance.size());
    p += s.instance.size();
  }
  if (!r.message.empty()) std::memcpy(p, r.message.data(), r.message.size());
  out.commit(total);
}

ArchiveDecode decodeArchiveRecord(std::string_view in, LogLine* line, size_t* consumed) {
  if (in.size() < 4) return ArchiveDecode::NeedMore;
  const char* p = in.data();
  const uint32_t size = get<uint32_t>(p);
  if (size < kArchiveHeaderBytes - 4 || size > (1u << 30)) return ArchiveDecode::Corrupt;
  if (in.size() - 4 < size) return ArchiveDecode::NeedMore;
  const char* const end = p + size;
  line->received_us = get<int64_t>(p);
  line->event_us = get<int64_t>(p);
  const uint8_t severity = get<uint8_t>(p);
  const uint8_t flags = get<uint8_t>(p);
  const uint16_t source_len = get<uint16_t>(p);
  const uint16_t type_len = get<uint16_t>(p);
  if (severity > 7 || (flags & ~(kPreformatted | kHasInstance)) != 0 ||
      size_t{source_len} + type_len > static_cast<size_t>(end - p)) {
    return ArchiveDecode::Corrupt;
  }
  line->seq = 0;
  line->severity = static_cast<Severity>(severity);
  line->preformatted = (flags & kPreformatted) != 0;
  line->source = std::string_view(p, source_len);
  p += source_len;
  line->type = std::string_view(p, type_len);
  p += type_len;
  line->instance = {};
  if ((flags & kHasInstance) != 0) {
    if (end - p < 2) return ArchiveDecode::Corrupt;
    const uint16_t instance_len = get<uint16_t>(p);
    // An empty instance is written without the flag: one record, one encoding.
    if (instance_len == 0 || instance_len > end - p) return ArchiveDecode::Corrupt;
    line->instance = std::string_view(p, instance_len);
    p += instance_len;
  }
  line->message = std::string_view(p, static_cast<size_t>(end - p));
  *consumed = size_t{size} + 4;
  return ArchiveDecode::Ok;
}

std::string archivePartitionName(int64_t hour) {
  TimestampFormatter ts;
  std::string s = ts.format(hour * 3600000000LL);  // "2026-11-21T10:00:00.000000Z"
  return s.substr(0, 13) + ".log";
}

int64_t archivePartitionHour(std::string_view name) {
  if (name.size() != 17 || name.substr(13) != ".log" || name[10] != 'T') return -1;
  std::string iso = std::string(name.substr(0, 13)) + ":00:00Z";
  Result<int64_t> t = parseTimestampMicros(iso);
  if (!t) return -1;
  // Only the name this hour is written under: the timestamp parser takes "11-31" as December 1st, and a file of
  // that name would be counted, read and expired as another hour's.
  int64_t hour = archiveHourOf(*t);
  return archivePartitionName(hour) == name ? hour : -1;
}

}  // namespace sluice
