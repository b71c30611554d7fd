#pragma once
// The spool's on-disk record: u32 len | u32 crc32c | u64 seq | len bytes of frames (little-endian). The CRC
// covers the seq and the bytes. Pure functions over bytes, so that recovery is testable on crafted files.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace sluice {

// Little-endian fields of the spool's files.
inline void putLe32(char* p, uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<char>((v >> (8 * i)) & 0xff);
}
inline void putLe64(char* p, uint64_t v) {
  for (int i = 0; i < 8; ++i) p[i] = static_cast<char>((v >> (8 * i)) & 0xff);
}
inline uint32_t getLe32(const char* p) {
  uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}
inline uint64_t getLe64(const char* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}

inline constexpr size_t kRecordHeader = 16;
inline constexpr uint32_t kMaxRecordBytes = 1u << 30;

// Writes the 16-byte header of a record holding `data` with sequence number `seq`.
void encodeRecordHeader(uint64_t seq, std::string_view data, char out[kRecordHeader]);

struct ScannedRecord {
  uint64_t seq = 0;
  uint64_t offset = 0;   // of the header in the segment
  uint32_t len = 0;      // of the data
};

// What scanning a segment found.
struct SegmentScan {
  std::vector<ScannedRecord> records;  // the valid records, in file order
  uint64_t valid_bytes = 0;            // the file's good prefix: every byte before the first bad record
  enum class Tail { Clean, Torn, Corrupt } tail = Tail::Clean;
  std::string problem;                 // why the scan stopped early ("bad CRC at offset 123", ...)
  uint64_t bad_bytes = 0;              // bytes after the good prefix
  uint64_t bad_records = 0;            // records skipped (counted by walking the headers as far as they make sense)
};

// Scans a whole segment's bytes. A record cut short by the end of the file is Torn (a crash during a write); a
// record whose CRC does not match, or whose header is impossible, is Corrupt.
SegmentScan scanSegment(std::string_view bytes);

}  // namespace sluice
