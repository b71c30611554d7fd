// libFuzzer target: the logplex input's body parser (octet-counted RFC 5424 frames). It must never crash, read
// out of bounds or hang, and every message it accepts must lie inside the body and parse as RFC 5424 again.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <vector>

#include "agent/pipeline/logplex_body.h"
#include "agent/pipeline/syslog_header.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view body(reinterpret_cast<const char*>(data), size);
  std::vector<std::string_view> messages;
  sluice::Status st = sluice::parseLogplexBody(body, &messages, 10000);
  size_t total = 0;
  for (std::string_view m : messages) {
    if (m.data() < body.data() || m.data() + m.size() > body.data() + body.size()) std::abort();
    sluice::SyslogHeader h;
    const char* err = nullptr;
    if (!sluice::parseSyslogHeader(m, &h, &err)) std::abort();
    std::string rewritten;
    sluice::rewriteSyslogHeader(m, h, "host", "app", rewritten);
    total += m.size();
  }
  if (st.ok() && total > body.size()) std::abort();
  return 0;
}
