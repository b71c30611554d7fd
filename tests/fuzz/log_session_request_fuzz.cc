// libFuzzer target: the body of POST /log-sessions (parseLogSessionRequest). It must never crash, recurse with the
// input's depth or hang; an accepted body written back as JSON parses to the same request; a refused one says why.
#include <string>
#include <string_view>

#include "agent/admin/log_filter.h"
#include "agent/admin/log_format.h"
#include "agent/admin/log_session_request.h"
#include "tests/fuzz/fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view body = sluice::fuzz::text(data, size);
  sluice::Result<sluice::LogSessionRequest> r = sluice::parseLogSessionRequest(body);
  if (!r) {
    FUZZ_CHECK(!r.error().message.empty());
    return 0;
  }
  FUZZ_CHECK(body.size() <= sluice::kMaxLogSessionBody);
  FUZZ_CHECK(r->filter.size() <= sluice::LogFilter::kMaxPatternBytes);
  FUZZ_CHECK(r->filter.size() <= body.size());
  std::string again = "{\"lines\":" + std::to_string(r->lines) + ",\"tail\":" + (r->tail ? "true" : "false") +
                      ",\"filter\":";
  sluice::appendJsonString(again, r->filter);
  again += "}";
  sluice::Result<sluice::LogSessionRequest> back = sluice::parseLogSessionRequest(again);
  FUZZ_CHECK(back.ok());
  FUZZ_CHECK(back->lines == r->lines && back->tail == r->tail);
  // appendJsonString writes invalid UTF-8 as U+FFFD: ASCII filters (every real one) come back byte for byte.
  bool ascii = true;
  for (char c : r->filter) ascii = ascii && static_cast<unsigned char>(c) < 0x80;
  if (ascii) FUZZ_CHECK(back->filter == r->filter);
  return 0;
}
