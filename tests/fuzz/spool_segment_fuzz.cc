// libFuzzer target: a spool segment as recovery reads it from disk (scanSegment). It must never crash, read out
// of bounds or hang; the records it accepts must tile the good prefix exactly, each with a header that encodes
// its own bytes again (the CRC holds), and the damaged rest must be accounted for.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string_view>

#include "agent/buffer/spool_format.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  sluice::SegmentScan scan = sluice::scanSegment(bytes);
  if (scan.valid_bytes > bytes.size() || scan.bad_bytes != bytes.size() - scan.valid_bytes) std::abort();
  if ((scan.tail == sluice::SegmentScan::Tail::Clean) != (scan.valid_bytes == bytes.size())) std::abort();
  if (scan.tail != sluice::SegmentScan::Tail::Clean && (scan.bad_records == 0 || scan.problem.empty())) std::abort();
  uint64_t pos = 0;
  for (const sluice::ScannedRecord& r : scan.records) {
    if (r.offset != pos || r.len == 0 || r.len > sluice::kMaxRecordBytes) std::abort();
    if (r.offset + sluice::kRecordHeader + r.len > scan.valid_bytes) std::abort();
    std::string_view record = bytes.substr(r.offset + sluice::kRecordHeader, r.len);
    char header[sluice::kRecordHeader];
    sluice::encodeRecordHeader(r.seq, record, header);
    if (std::memcmp(header, bytes.data() + r.offset, sluice::kRecordHeader) != 0) std::abort();
    pos = r.offset + sluice::kRecordHeader + r.len;
  }
  if (pos != scan.valid_bytes) std::abort();
  return 0;
}
