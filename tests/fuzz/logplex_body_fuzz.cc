// libFuzzer target: the logplex input's body parser (octet-counted RFC 5424 frames). It must never crash, read
// out of bounds or hang; every message it accepts lies inside the body and parses as RFC 5424 again, and writing
// the frames back ("LEN SP MSG") gives the body's bytes up to where parsing stopped.
#include <string>
#include <string_view>
#include <vector>

#include "agent/formats/logplex_body.h"
#include "agent/formats/syslog_header.h"
#include "tests/fuzz/fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view body = sluice::fuzz::text(data, size);
  std::vector<std::string_view> messages;
  sluice::Status st = sluice::parseLogplexBody(body, &messages, 10000);
  std::string framed;
  for (std::string_view m : messages) {
    FUZZ_CHECK(sluice::fuzz::inside(m, body));
    sluice::SyslogHeader h;
    const char* err = nullptr;
    FUZZ_CHECK(sluice::parseSyslogHeader(m, &h, &err));
    std::string rewritten;
    sluice::rewriteSyslogHeader(m, h, "host", "app", rewritten);
    framed += std::to_string(m.size()) + " " + std::string(m);
  }
  FUZZ_CHECK(body.starts_with(framed));
  if (st.ok()) FUZZ_CHECK(framed.size() == body.size());
  return 0;
}
