// libFuzzer target: access-log lines (Common, Combined, vhost_combined, with a request time), as the clf_json
// sink and `sluice convert --from clf` read them. It must never crash, read out of bounds or hang; every field is
// a view inside the line; a parsed line written back parses again to the same fields, and writing those gives the
// same bytes (the writer is a fixed point after one pass).
#include <string>
#include <string_view>

#include "agent/formats/access_line.h"
#include "tests/fuzz/fuzz_check.h"

namespace {

using sluice::AccessFields;

void checkInside(const AccessFields& f, std::string_view line) {
  using sluice::fuzz::inside;
  FUZZ_CHECK(!f.has_vhost || inside(f.vhost, line));
  FUZZ_CHECK(inside(f.client, line) && inside(f.ident, line) && inside(f.user, line));
  FUZZ_CHECK(!f.has_method || inside(f.method, line));
  FUZZ_CHECK(!f.has_path || inside(f.path, line));
  FUZZ_CHECK(!f.has_proto || inside(f.proto, line));
  FUZZ_CHECK(!f.combined || (inside(f.referer, line) && inside(f.user_agent, line)));
  FUZZ_CHECK(!f.has_rtime || inside(f.rtime, line));
  FUZZ_CHECK(f.status >= 0 && f.status <= 999);
}

void checkSame(const AccessFields& a, const AccessFields& b) {
  FUZZ_CHECK(a.has_vhost == b.has_vhost && (!a.has_vhost || a.vhost == b.vhost));
  FUZZ_CHECK(a.client == b.client && a.ident == b.ident && a.user == b.user);
  FUZZ_CHECK(a.time_us == b.time_us && a.tz_minutes == b.tz_minutes);
  FUZZ_CHECK(a.has_method == b.has_method && a.method == b.method);
  FUZZ_CHECK(a.has_path == b.has_path && a.path == b.path);
  FUZZ_CHECK(a.has_proto == b.has_proto && a.proto == b.proto);
  FUZZ_CHECK(a.status == b.status && a.bytes == b.bytes && a.bytes_dash == b.bytes_dash);
  FUZZ_CHECK(a.combined == b.combined && a.referer == b.referer && a.user_agent == b.user_agent);
  FUZZ_CHECK(a.has_rtime == b.has_rtime && a.rtime == b.rtime);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view line = sluice::fuzz::text(data, size);
  AccessFields f;
  if (!sluice::parseAccessLine(line, &f)) return 0;
  checkInside(f, line);

  std::string once;
  sluice::formatAccessLine(f, once);
  AccessFields g;
  FUZZ_CHECK(sluice::parseAccessLine(once, &g));
  // Line breaks are written as \n (two characters): the fields then differ, but only there.
  if (line.find_first_of("\r\n") == std::string_view::npos) checkSame(f, g);
  std::string twice;
  sluice::formatAccessLine(g, twice);
  FUZZ_CHECK(once == twice);

  // The time alone, with its offset: what parseClfTime reads, formatClfTime writes back to the same instant.
  std::string time;
  sluice::formatClfTime(f.time_us, f.tz_minutes, time);
  int64_t us = 0;
  int tz = 0;
  FUZZ_CHECK(sluice::parseClfTime(time, &us, &tz));
  FUZZ_CHECK(us == f.time_us && tz == f.tz_minutes);
  return 0;
}
