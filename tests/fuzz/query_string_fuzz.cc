// libFuzzer target: URL query strings as the admin API reads them (/logs?n=&filter=&stream=...). It must never
// crash, read out of bounds or hang; encoding what it parsed and parsing that again gives the same pairs.
#include <string>
#include <string_view>

#include "agent/admin/query_string.h"
#include "tests/fuzz/fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view query = sluice::fuzz::text(data, size);
  sluice::QueryParams params = sluice::parseQueryString(query);
  FUZZ_CHECK(params.size() <= query.size());  // each pair takes a byte at least
  std::string again;
  for (const auto& [k, v] : params) {
    FUZZ_CHECK(k.size() + v.size() <= query.size());
    if (!again.empty()) again += '&';
    again += sluice::urlEncode(k) + "=" + sluice::urlEncode(v);
    const std::string* first = sluice::queryParam(params, k);
    FUZZ_CHECK(first != nullptr);
  }
  FUZZ_CHECK(sluice::parseQueryString(again) == params);
  return 0;
}
