#include "agent/buffer/spool_format.h"

#include <cstring>

#include "agent/buffer/crc32c.h"

namespace sluice {
namespace {

void put32(char* p, uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<char>((v >> (8 * i)) & 0xff);
}
void put64(char* p, uint64_t v) {
  for (int i = 0; i < 8; ++i) p[i] = static_cast<char>((v >> (8 * i)) & 0xff);
}
uint32_t get32(const char* p) {
  uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}
uint64_t get64(const char* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}

uint32_t recordCrc(const char* seq_bytes, std::string_view data) {
  return crc32c(crc32c(0, seq_bytes, 8), data.data(), data.size());
}

}  // namespace

void encodeRecordHeader(uint64_t seq, std::string_view data, char out[kRecordHeader]) {
  put32(out, static_cast<uint32_t>(data.size()));
  put64(out + 8, seq);
  put32(out + 4, recordCrc(out + 8, data));
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
    const uint32_t len = get32(h);
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
    if (recordCrc(h + 8, data) != get32(h + 4)) {
      scan.tail = SegmentScan::Tail::Corrupt;
      scan.problem = "a bad CRC at offset " + std::to_string(pos) + " (record seq " + std::to_string(get64(h + 8)) + ")";
      break;
    }
    scan.records.push_back(ScannedRecord{get64(h + 8), pos, len});
    pos += kRecordHeader + len;
  }
  scan.valid_bytes = pos;
  scan.bad_bytes = bytes.size() - pos;
  if (scan.tail != SegmentScan::Tail::Clean) {
    // How many records the damaged part held, as far as its headers can still be followed.
    uint64_t p = pos;
    while (p + kRecordHeader <= bytes.size()) {
      uint32_t len = get32(bytes.data() + p);
      ++scan.bad_records;
      if (len == 0 || len > kMaxRecordBytes || p + kRecordHeader + len > bytes.size()) break;
      p += kRecordHeader + len;
    }
    if (scan.bad_records == 0 && scan.bad_bytes > 0) scan.bad_records = 1;
  }
  return scan;
}

}  // namespace sluice
