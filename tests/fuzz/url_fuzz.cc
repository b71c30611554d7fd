// libFuzzer target: URLs (sink urls, --drain, api endpoints). It must never crash, read out of bounds or hang; an
// accepted URL has a host and a port, its redacted form (what logs show) hides the password and parses back to the
// same scheme, user, host, port and target, and its authority (the Host header) has no space or line break.
#include <string>
#include <string_view>

#include "agent/core/url.h"
#include "tests/fuzz/fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text = sluice::fuzz::text(data, size);
  sluice::Result<sluice::ParsedUrl> url = sluice::parseUrl(text);
  if (!url.ok()) {
    FUZZ_CHECK(!url.error().message.empty());
    return 0;
  }
  FUZZ_CHECK(!url->host.empty());
  FUZZ_CHECK(!url->port_explicit || url->port != 0);
  FUZZ_CHECK(!url->target.empty() && url->target[0] == '/');
  (void)url->hostIsIpLiteral();
  std::string authority = url->authority();
  FUZZ_CHECK(authority.find_first_of(" \r\n") == std::string::npos);

  std::string redacted = url->redacted();
  sluice::Result<sluice::ParsedUrl> again = sluice::parseUrl(redacted);
  FUZZ_CHECK(again.ok());
  FUZZ_CHECK(again->scheme == url->scheme && again->user == url->user && again->host == url->host);
  FUZZ_CHECK(again->port == url->port && again->port_explicit == url->port_explicit);
  FUZZ_CHECK(again->target == url->target && again->has_password == url->has_password);
  FUZZ_CHECK(!again->has_password || again->password == "***");
  return 0;
}
