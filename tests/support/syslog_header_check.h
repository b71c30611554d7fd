#pragma once
// What parseSyslogHeader must find in a message, checked part by part: shared by the tests of the logplex input
// (which reads headers) and of the syslog sink (which writes them).
#include <catch2/catch.hpp>

#include <string_view>

#include "agent/formats/syslog_header.h"

namespace sluice {

struct HeaderParts {
  int pri = 0;
  std::string_view timestamp, hostname, app_name, procid, msgid, structured_data, msg;
};

// Parses `message` (which must outlive the result), checks each part against `want` and returns the header.
inline SyslogHeader checkSyslogHeader(std::string_view message, const HeaderParts& want) {
  SyslogHeader h;
  const char* err = nullptr;
  REQUIRE(parseSyslogHeader(message, &h, &err));
  CHECK(h.pri == want.pri);
  CHECK(h.timestamp == want.timestamp);
  CHECK(h.hostname == want.hostname);
  CHECK(h.app_name == want.app_name);
  CHECK(h.procid == want.procid);
  CHECK(h.msgid == want.msgid);
  CHECK(h.structured_data == want.structured_data);
  CHECK(h.msg == want.msg);
  return h;
}

}  // namespace sluice
