#pragma once
// Access lines as JSON objects, one per line (NDJSON), and back. Two schemas:
//   compact: the short names of Clever Cloud's access logs (shared/seeds/000): t, ipS, vb, path, sC, sT, bOut, h,
//            plus proto, ident, user, referer, ua, rTime and tz (the line's UTC offset, so that the time can be
//            written back as it was) when present;
//   ecs:     Elastic Common Schema (@timestamp, source.address, http.request.method, url.original,
//            http.response.status_code, ...), nested objects.
// Strings are the line's bytes: valid UTF-8 is written as it is (JSON-escaped), invalid bytes as the text \xHH
// (Apache's own escape), never raw.
#include <cstdint>
#include <string>
#include <string_view>

#include "agent/core/bytes.h"
#include "agent/core/clock.h"
#include "agent/core/utf8.h"
#include "agent/formats/access_line.h"

namespace sluice {

enum class Schema { Compact, Ecs };

class JsonOut;

class JsonEncoder {
 public:
  explicit JsonEncoder(Schema schema) : schema_(schema) {}

  // Appends the JSON object (no newline) of a parsed line, or of a line that did not parse ({"raw": "..."};
  // ECS: {"event":{"original":"..."}}).
  void encode(const AccessFields& fields, ByteBuffer& out);
  void encodeRaw(std::string_view line, ByteBuffer& out);

 private:
  void compact(const AccessFields& f, JsonOut& o);
  void ecs(const AccessFields& f, JsonOut& o);
  void formatTime(int64_t us);

  Schema schema_;
  TimestampFormatter timestamps_;
  // The last line's time, formatted: consecutive lines mostly share their second.
  int64_t last_time_us_ = INT64_MIN;
  char last_time_[TimestampFormatter::kLength] = {};
};

// One JSON line (either schema, as written above; extra keys are ignored) back to its access-log line, appended
// to `out`. False, with the reason in `why`, when it is not JSON or lacks what a line needs.
bool jsonToClf(std::string_view json, std::string& out, std::string* why);

}  // namespace sluice
