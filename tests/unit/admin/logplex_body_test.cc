#include <catch2/catch.hpp>

#include "agent/formats/logplex_body.h"
#include "agent/formats/syslog_header.h"
#include "tests/support/syslog_header_check.h"

using namespace sluice;

namespace {
const std::string kSeed =
    "72 <190>1 2013-03-27T20:02:24+00:00 hostname logtoken_foobar procid - - foo"
    "72 <190>1 2013-03-27T20:02:24+00:00 hostname logtoken_foobar procid - - bar";
}

TEST_CASE("the seed's body splits into its two messages by octet counting", "[logplex]") {
  REQUIRE(kSeed.size() == 150);
  std::vector<std::string_view> msgs;
  Status st = parseLogplexBody(kSeed, &msgs);
  REQUIRE(st.ok());
  REQUIRE(msgs.size() == 2);
  CHECK(msgs[0] == "<190>1 2013-03-27T20:02:24+00:00 hostname logtoken_foobar procid - - foo");
  CHECK(msgs[1].substr(msgs[1].size() - 3) == "bar");
}

TEST_CASE("a body with newlines inside messages is still split by length, not by lines", "[logplex]") {
  std::string m = "<13>1 - host app - - - two\nlines";
  std::string body = std::to_string(m.size()) + " " + m + "\n";  // a trailing newline is not a frame
  std::vector<std::string_view> msgs;
  Status st = parseLogplexBody(body, &msgs);
  REQUIRE_FALSE(st.ok());
  CHECK(st.error().message.find("frame 2 at byte") == 0);
  msgs.clear();
  const std::string exact = body.substr(0, body.size() - 1);  // the views point into it
  REQUIRE(parseLogplexBody(exact, &msgs).ok());
  CHECK(msgs == std::vector<std::string_view>{m});
}

TEST_CASE("malformed bodies are refused with the frame and byte that is wrong", "[logplex]") {
  struct Case {
    std::string body;
    std::string says;
  };
  std::vector<Case> cases = {
      {"", "empty body"},
      {"abc <13>1 - h a - - - x", "frame 1 at byte 0: frame does not start with a decimal length"},
      {"072 <13>1", "leading zero"},
      {"9 <13>1", "ends inside the frame"},
      {"12345678901 x", "more than 10 digits"},
      {"3x <1", "not followed by a space"},
      {"5 hello", "not an RFC 5424 message (message does not start with <PRI>)"},
      {kSeed.substr(0, 149), "frame 2 at byte 75: the body ends inside the frame"},
      {"13 <192>1 - - - - -", "bad PRI"},
      {"16 <13>1 - h a - - ", "STRUCTURED-DATA"},
      {"15 <13>1 - h a - -", "MSGID"},
      {"18 <13>1 - h a - - [x", "STRUCTURED-DATA"},
  };
  for (const auto& c : cases) {
    INFO(c.body);
    std::vector<std::string_view> msgs;
    Status st = parseLogplexBody(c.body, &msgs);
    REQUIRE_FALSE(st.ok());
    CHECK(st.error().message.find(c.says) != std::string::npos);
  }
}

TEST_CASE("the RFC 5424 header is parsed, structured data with escapes included", "[logplex]") {
  std::string m = "<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 "
                  "[exampleSDID@32473 iut=\"3\" eventSource=\"Appl\\]ication\"][x@1 a=\"b\"] An application event";
  checkSyslogHeader(m, {.pri = 165, .timestamp = "2003-10-11T22:14:15.003Z", .hostname = "mymachine.example.com",
                        .app_name = "evntslog", .procid = "-", .msgid = "ID47",
                        .structured_data = "[exampleSDID@32473 iut=\"3\" eventSource=\"Appl\\]ication\"][x@1 a=\"b\"]",
                        .msg = "An application event"});
  SyslogHeader h;
  const char* err = nullptr;
  std::string no_msg = "<13>1 - h a - - -";
  REQUIRE(parseSyslogHeader(no_msg, &h, &err));
  CHECK(h.msg.empty());
}

TEST_CASE("HOSTNAME and APP-NAME can be rewritten, the rest stays byte for byte", "[logplex]") {
  std::string m = "<190>1 2013-03-27T20:02:24+00:00 hostname logtoken_foobar procid - - foo bar";
  SyslogHeader h;
  const char* err = nullptr;
  REQUIRE(parseSyslogHeader(m, &h, &err));
  std::string out;
  rewriteSyslogHeader(m, h, "addon-1", "", out);
  CHECK(out == "<190>1 2013-03-27T20:02:24+00:00 addon-1 logtoken_foobar procid - - foo bar");
  rewriteSyslogHeader(m, h, "", "my-app", out);
  CHECK(out == "<190>1 2013-03-27T20:02:24+00:00 hostname my-app procid - - foo bar");
}
