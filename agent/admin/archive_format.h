#pragma once
// The record format of the local archive (state_dir/archive/YYYY-MM-DDTHH.log, one file per hour of receive
// time, UTC): records appended back to back, each
//   u32 size of the rest | i64 received_us | i64 event_us | u8 severity | u8 flags | u16 source len |
//   u16 type len | source | type | message
// in host byte order (the archive is a local cache, not an exchange format). Pure functions.
#include <cstdint>
#include <string>
#include <string_view>

#include "agent/admin/log_line.h"
#include "agent/core/bytes.h"
#include "agent/core/record.h"

namespace sluice {

inline constexpr size_t kArchiveHeaderBytes = 4 + 8 + 8 + 1 + 1 + 2 + 2;

// Appends one record.
void encodeArchiveRecord(const Record& record, std::string_view source, std::string_view type, ByteBuffer& out);

enum class ArchiveDecode { Ok, NeedMore, Corrupt };
// Decodes the record at the start of `in` into `line` (views into `in`).
ArchiveDecode decodeArchiveRecord(std::string_view in, LogLine* line, size_t* consumed);

// "2026-11-21T10.log" for the hour holding `micros`, and back (-1 when the name is not a partition's).
std::string archivePartitionName(int64_t hour);
int64_t archivePartitionHour(std::string_view name);
inline int64_t archiveHourOf(int64_t micros) {
  return micros >= 0 ? micros / 3600000000LL : (micros - 3599999999LL) / 3600000000LL;
}

}  // namespace sluice
