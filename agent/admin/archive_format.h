#pragma once
// The record format of the local archive (state_dir/archive/YYYY-MM-DDTHH.log, one file per hour of receive
// time, UTC): records appended back to back, each
//   u32 size of the rest | i64 received_us | i64 event_us | u8 severity | u8 flags | u16 source len |
//   u16 type len | source | type | [u16 instance len | instance] | message
// in host byte order (the archive is a local cache, not an exchange format). Flags: bit 0, the message is a whole
// RFC 5424 message (logplex input); bit 1, an instance follows the type (a tail source's file, "access.log"),
// never empty. Records written before instances were archived have bit 1 clear and still decode. Pure functions.
#include <cstdint>
#include <string>
#include <string_view>

#include "agent/admin/log_line.h"
#include "agent/core/bytes.h"
#include "agent/core/record.h"

namespace sluice {

// The fixed part of every record; a record with an instance has 2 more bytes (its length) before it.
inline constexpr size_t kArchiveHeaderBytes = 4 + 8 + 8 + 1 + 1 + 2 + 2;

// The bytes encodeArchiveRecord appends for `record` from `source`.
size_t archiveRecordSize(const Record& record, const LineSource& source);
// Appends one record (each name cut to 65,535 bytes).
void encodeArchiveRecord(const Record& record, const LineSource& source, ByteBuffer& out);

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
