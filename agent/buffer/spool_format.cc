#include "agent/buffer/spool_format.h"

#include <cstring>

#include "agent/buffer/crc32c.h"

namespace sluice {
namespace {

uint32_t recordCrc(const char* seq_bytes, std::string_view data) {
  return crc32c(crc32c(0, seq_bytes, 8), data.data(), data.size());
}

}  // namespace

void encodeRecordHeader(uint64_t seq, std::string_view data, char out[kRecordHeader]) {
  putLe32(out, static_cast<uint32_t>(data.size()));
  putLe64(out + 8, seq);
  putLe32(out + 4, recordCrc(out + 8, data));
}

SegmentScan scanSegment(std::string_view bytes) {
  SegmentScan scan;
  uint64_t pos = 0;
  while (pos < bytes.size()) {
    const uint64_t left = bytes.size() - pos;
    if (left < kRecordHeader) {
      scan.tail = SegmentScan::Tail::Torn;
      scan.problem = "a record header cut short at offset " + std::to_string(pos);
      break;
    }
    const char* h = bytes.data() + pos;
    const uint32_t len = getLe32(h);
    if (len == 0 || len > kMaxRecordBytes) {
      scan.tail = SegmentScan::Tail::Corrupt;
      scan.problem = "an impossible record length " + std::to_string(len) + " at offset " + std::to_string(pos);
      break;
    }
    if (left - kRecordHeader < len) {
      scan.tail = SegmentScan::Tail::Torn;
      scan.problem = "a record cut short at offset " + std::to_string(pos);
      break;
    }
    std::string_view data(h + kRecordHeader, len);
    if (recordCrc(h + 8, data) != getLe32(h + 4)) {
      scan.tail = SegmentScan::Tail::Corrupt;
      scan.problem = "a bad CRC at offset " + std::to_string(pos) + " (record seq " + std::to_string(getLe64(h + 8)) + ")";
      break;
    }
    scan.records.push_back(ScannedRecord{getLe64(h + 8), pos, len});
    pos += kRecordHeader + len;
  }
  scan.valid_bytes = pos;
  scan.bad_bytes = bytes.size() - pos;
  if (scan.tail != SegmentScan::Tail::Clean) {
    // How many records the damaged part held, as far as its headers can still be followed.
    uint64_t p = pos;
    while (p + kRecordHeader <= bytes.size()) {
      uint32_t len = getLe32(bytes.data() + p);
      ++scan.bad_records;
      if (len == 0 || len > kMaxRecordBytes || p + kRecordHeader + len > bytes.size()) break;
      p += kRecordHeader + len;
    }
    if (scan.bad_records == 0 && scan.bad_bytes > 0) scan.bad_records = 1;
  }
  return scan;
}

}  // namespace sluice
