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

}  // namespace

void encodeArchiveRecord(const Record& r, std::string_view source, std::string_view type, ByteBuffer& out) {
  source = source.substr(0, 0xFFFF);
  type = type.substr(0, 0xFFFF);
  const size_t total = kArchiveHeaderBytes + source.size() + type.size() + r.message.size();
  char* p = out.prepare(total);
  put<uint32_t>(p, static_cast<uint32_t>(total - 4));
  put<int64_t>(p, r.received_us);
  put<int64_t>(p, r.event_us);
  put<uint8_t>(p, static_cast<uint8_t>(r.severity));
  put<uint8_t>(p, r.preformatted ? 1 : 0);
  put<uint16_t>(p, static_cast<uint16_t>(source.size()));
  put<uint16_t>(p, static_cast<uint16_t>(type.size()));
  std::memcpy(p, source.data(), source.size());
  p += source.size();
  std::memcpy(p, type.data(), type.size());
  p += type.size();
  if (!r.message.empty()) std::memcpy(p, r.message.data(), r.message.size());
  out.commit(total);
}

ArchiveDecode decodeArchiveRecord(std::string_view in, LogLine* line, size_t* consumed) {
  if (in.size() < 4) return ArchiveDecode::NeedMore;
  const char* p = in.data();
  const uint32_t size = get<uint32_t>(p);
  if (size < kArchiveHeaderBytes - 4 || size > (1u << 30)) return ArchiveDecode::Corrupt;
  if (in.size() - 4 < size) return ArchiveDecode::NeedMore;
  line->received_us = get<int64_t>(p);
  line->event_us = get<int64_t>(p);
  const uint8_t severity = get<uint8_t>(p);
  const uint8_t flags = get<uint8_t>(p);
  const uint16_t source_len = get<uint16_t>(p);
  const uint16_t type_len = get<uint16_t>(p);
  if (severity > 7 || flags > 1 || kArchiveHeaderBytes - 4 + size_t{source_len} + type_len > size) {
    return ArchiveDecode::Corrupt;
  }
  line->seq = 0;
  line->severity = static_cast<Severity>(severity);
  line->preformatted = flags == 1;
  line->source = std::string_view(p, source_len);
  p += source_len;
  line->type = std::string_view(p, type_len);
  p += type_len;
  line->message = std::string_view(p, size - (kArchiveHeaderBytes - 4) - source_len - type_len);
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
