#pragma once
// A batch of frames to NDJSON: the MSG of each RFC 5424 message (after its header) parsed as an access-log line
// and written as one JSON object per line. Pure: bytes in, bytes out. The same code serves `sluice convert`.
#include <cstdint>
#include <string_view>

#include "agent/core/bytes.h"
#include "agent/formats/clf_json_codec.h"

namespace sluice {

enum class Unparsed { Raw, Drop };

struct NdjsonCounts {
  uint64_t lines = 0;             // JSON lines written
  uint64_t unparsed_raw = 0;      // not an access-log line: written as {"raw": ...}
  uint64_t unparsed_dropped = 0;  // not an access-log line: left out (unparsed: drop)
};

class NdjsonEncoder {
 public:
  NdjsonEncoder(Schema schema, Unparsed unparsed) : json_(schema), unparsed_(unparsed) {}

  // Appends a JSON line for each message of `frames` (octet-counted RFC 5424 messages).
  void encodeFrames(std::string_view frames, ByteBuffer& out, NdjsonCounts& counts);
  // Appends the JSON line of one access-log line (no syslog header); false when it did not parse.
  bool encodeLine(std::string_view line, ByteBuffer& out, NdjsonCounts& counts);

 private:
  JsonEncoder json_;
  Unparsed unparsed_;
};

}  // namespace sluice
