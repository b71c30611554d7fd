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

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "agent/core/clock.h"
#include "plugins/clf_json/access_line.h"

namespace sluice::plugins::clf_json {

enum class Schema { Compact, Ecs };

// True when `s` is valid UTF-8 (no overlong forms, surrogates or code points above U+10FFFF).
bool validUtf8(std::string_view s);

class JsonEncoder {
 public:
  explicit JsonEncoder(Schema schema) : schema_(schema), writer_(buffer_) {}

  // The JSON object of a parsed line, or of a line that did not parse ({"raw": "..."}; ECS:
  // {"event":{"original":"..."}}). The view is valid until the next call.
  std::string_view encode(const AccessFields& fields);
  std::string_view encodeRaw(std::string_view line);

 private:
  void begin();
  void key(const char* k) { writer_.Key(k, static_cast<rapidjson::SizeType>(std::strlen(k))); }
  void string(std::string_view s);
  void compact(const AccessFields& f);
  void ecs(const AccessFields& f);

  Schema schema_;
  rapidjson::StringBuffer buffer_;
  rapidjson::Writer<rapidjson::StringBuffer> writer_;
  TimestampFormatter timestamps_;
  std::string scratch_;
};

// One JSON line (either schema, as written above; extra keys are ignored) back to its access-log line, appended
// to `out`. False, with the reason in `why`, when it is not JSON or lacks what a line needs.
bool jsonToClf(std::string_view json, std::string& out, std::string* why);

}  // namespace sluice::plugins::clf_json
