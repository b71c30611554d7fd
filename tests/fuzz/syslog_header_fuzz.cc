// libFuzzer target: RFC 5424 headers (the logplex input checks and rewrites every frame it forwards; the admin
// API shows the fields). It must never crash, read out of bounds or hang; every field is a view inside the
// message, in order; rewriting with the same HOSTNAME and APP-NAME gives the message back, and rewriting with
// new ones gives a message that parses to the new fields and the same others.
#include <string>
#include <string_view>

#include "agent/formats/syslog_header.h"
#include "tests/fuzz/fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view msg = sluice::fuzz::text(data, size);
  sluice::SyslogHeader h;
  const char* error = nullptr;
  if (!sluice::parseSyslogHeader(msg, &h, &error)) {
    FUZZ_CHECK(error != nullptr && *error != '\0');
    return 0;
  }
  using sluice::fuzz::inside;
  FUZZ_CHECK(h.pri >= 0 && h.pri <= 191);
  std::string_view fields[] = {h.version, h.timestamp, h.hostname, h.app_name, h.procid, h.msgid,
                               h.structured_data};
  const char* prev = msg.data();
  for (std::string_view f : fields) {
    FUZZ_CHECK(!f.empty() && inside(f, msg) && f.data() >= prev);
    prev = f.data() + f.size();
  }
  FUZZ_CHECK(h.msg_offset <= msg.size());
  FUZZ_CHECK(h.msg.data() == msg.data() + h.msg_offset && h.msg.size() == msg.size() - h.msg_offset);

  std::string same;
  sluice::rewriteSyslogHeader(msg, h, {}, {}, same);
  FUZZ_CHECK(same == msg);
  std::string rewritten;
  sluice::rewriteSyslogHeader(msg, h, "new-host", "new-app", rewritten);
  sluice::SyslogHeader r;
  FUZZ_CHECK(sluice::parseSyslogHeader(rewritten, &r, &error));
  FUZZ_CHECK(r.hostname == "new-host" && r.app_name == "new-app");
  FUZZ_CHECK(r.pri == h.pri && r.version == h.version && r.timestamp == h.timestamp && r.procid == h.procid);
  FUZZ_CHECK(r.msgid == h.msgid && r.structured_data == h.structured_data && r.msg == h.msg);
  return 0;
}
