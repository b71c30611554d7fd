#include <catch2/catch.hpp>

#include "agent/formats/frame.h"
#include "agent/pipeline/rfc5424_framer.h"
#include "tests/support/records.h"

using namespace sluice;

namespace {

// shared/seeds/002: two frames of 72 bytes, a body of 150 bytes.
constexpr std::string_view kSeedBody =
    "72 <190>1 2013-03-27T20:02:24+00:00 hostname logtoken_foobar procid - - foo"
    "72 <190>1 2013-03-27T20:02:24+00:00 hostname logtoken_foobar procid - - bar";

MessageFields seedFields() {
  MessageFields f;
  f.hostname = "hostname";
  f.app_name = "{token}";
  f.procid = "{source}";
  f.msgid = "-";
  f.facility = kFacilityLocal7;
  return f;
}

std::string frame(Rfc5424Framer& framer, const Record& r) {
  ByteBuffer out;
  size_t n = framer.append(r, out);
  REQUIRE(n == out.size());
  REQUIRE(framer.frameSize(r) == n);
  return std::string(out.view());
}

}  // namespace

TEST_CASE("the seed's logplex body is two 72-byte frames in 150 bytes") {
  REQUIRE(kSeedBody.size() == 150);
  std::string_view rest = kSeedBody;
  std::vector<std::string_view> messages;
  while (!rest.empty()) {
    std::string_view msg;
    size_t used = 0;
    const char* err = nullptr;
    REQUIRE(parseFrame(rest, &msg, &used, &err) == FrameStatus::Ok);
    CHECK(msg.size() == 72);
    messages.push_back(msg);
    rest.remove_prefix(used);
  }
  REQUIRE(messages.size() == 2);
  CHECK(messages[0] == "<190>1 2013-03-27T20:02:24+00:00 hostname logtoken_foobar procid - - foo");
  CHECK(messages[1].substr(messages[1].size() - 3) == "bar");
}

TEST_CASE("preformatted messages are framed byte for byte as the seed's body") {
  Rfc5424Framer framer(seedFields(), "ignored", "logtoken_foobar");
  ByteBuffer out;
  for (std::string_view msg : {"<190>1 2013-03-27T20:02:24+00:00 hostname logtoken_foobar procid - - foo",
                               "<190>1 2013-03-27T20:02:24+00:00 hostname logtoken_foobar procid - - bar"}) {
    Record r;
    r.message = msg;
    r.preformatted = true;
    framer.append(r, out);
  }
  CHECK(out.view() == kSeedBody);
}

TEST_CASE("a line is framed with the seed's fields and a six-digit UTC timestamp") {
  Rfc5424Framer framer(seedFields(), "ignored", "logtoken_foobar");
  SourceInfo src{1001, "procid", "stdin"};
  Record r = recordOf(src, "foo", 1364414544000000);  // 2013-03-27T20:02:24Z
  // The seed writes "+00:00" without a fraction; Sluice always writes six digits and Z (2 bytes more).
  CHECK(frame(framer, r) == "74 <190>1 2013-03-27T20:02:24.000000Z hostname logtoken_foobar procid - - foo");
}

TEST_CASE("severity and facility make the PRI, stderr lines are err") {
  MessageFields f = seedFields();
  f.facility = 1;  // user
  Rfc5424Framer framer(f, "h", "t");
  SourceInfo src{1002, "web-1", "exec"};
  Record r = recordOf(src, "boom");
  r.severity = Severity::Error;
  CHECK(frame(framer, r).find("<11>1 ") != std::string::npos);
  r.severity = Severity::Debug;
  CHECK(frame(framer, r).find("<15>1 ") != std::string::npos);
}

TEST_CASE("the event time is used when the source has one") {
  Rfc5424Framer framer(seedFields(), "h", "t");
  SourceInfo src{1003, "s", "tail"};
  Record r = recordOf(src, "x", 1364414544000000);
  r.event_us = 1364414543123456;
  CHECK(frame(framer, r).find(" 2013-03-27T20:02:23.123456Z ") != std::string::npos);
}

TEST_CASE("header fields are made valid: printable ASCII, no spaces, RFC 5424 lengths, empty becomes -") {
  CHECK(sanitizeHeaderField("web 1", kMaxProcId) == "web_1");
  CHECK(sanitizeHeaderField("", kMaxProcId) == "-");
  CHECK(sanitizeHeaderField("caf\xc3\xa9", kMaxProcId) == "caf__");
  CHECK(sanitizeHeaderField("tab\there", kMaxProcId) == "tab_here");
  CHECK(sanitizeHeaderField(std::string(300, 'h'), kMaxHostname).size() == 255);
  CHECK(sanitizeHeaderField(std::string(60, 'a'), kMaxAppName).size() == 48);
  CHECK(sanitizeHeaderField(std::string(200, 'p'), kMaxProcId).size() == 128);
  CHECK(sanitizeHeaderField(std::string(40, 'm'), kMaxMsgId).size() == 32);

  MessageFields f = seedFields();
  f.hostname = "my host";
  f.app_name = "";
  Rfc5424Framer framer(f, "h", "");
  SourceInfo src{1004, "", "stdin"};
  Record r = recordOf(src, "m");
  CHECK(frame(framer, r).find(" my_host sluice - - - m") != std::string::npos);
}

TEST_CASE("templates expand {source}, {token}, {hostname} and {app_name}") {
  CHECK(expandTemplate("{source}", {.source = "web-1", .token = "t", .hostname = "h"}) == "web-1");
  CHECK(expandTemplate("app-{token}", {.source = "s", .token = "abc", .hostname = "h"}) == "app-abc");
  CHECK(expandTemplate("{hostname}.{source}", {.source = "s", .token = "t", .hostname = "box"}) == "box.s");
  CHECK(expandTemplate("plain", {.source = "s", .token = "t", .hostname = "h"}) == "plain");
  CHECK(expandTemplate("{app_name}/{source}", {.source = "s", .app_name = "nginx"}) == "nginx/s");
}

TEST_CASE("the app name defaults to the sink's token, else sluice") {
  MessageFields f = seedFields();
  f.app_name = "";
  SourceInfo src{1005, "s", "stdin"};
  Record r = recordOf(src, "m");
  Rfc5424Framer with_token(f, "h", "tok");
  CHECK(frame(with_token, r).find(" hostname tok s - - m") != std::string::npos);
  Rfc5424Framer without(f, "h", "");
  CHECK(frame(without, r).find(" hostname sluice s - - m") != std::string::npos);
}

TEST_CASE("a source's app name comes before the token, and a sink's template can place it elsewhere") {
  MessageFields f = seedFields();
  f.app_name = "";
  SourceInfo src{1007, "journal", "journald", "", "nginx"};
  Record r = recordOf(src, "m");
  Rfc5424Framer framer(f, "h", "tok");
  CHECK(frame(framer, r).find(" hostname nginx journal - - m") != std::string::npos);
  f.app_name = "{token}";
  f.procid = "{app_name}";
  Rfc5424Framer placed(f, "h", "tok");
  CHECK(frame(placed, r).find(" hostname tok nginx - - m") != std::string::npos);
}

TEST_CASE("a source's instance (a tailed file's name) is its {source}") {
  SourceInfo src{1008, "nginx", "tail", "access.log"};
  Record r = recordOf(src, "m");
  Rfc5424Framer framer(seedFields(), "h", "t");
  CHECK(frame(framer, r).find(" access.log ") != std::string::npos);
  CHECK(frame(framer, r).find(" nginx ") == std::string::npos);
}

TEST_CASE("the octet count is in bytes, not characters, and invalid UTF-8 passes as bytes") {
  Rfc5424Framer framer(seedFields(), "h", "t");
  SourceInfo src{1006, "s", "stdin"};
  Record r;
  r.source = &src;
  r.message = "\xc3\xa9t\xc3\xa9 \xff\xfe";  // "été" and two bytes that are not UTF-8
  std::string f = frame(framer, r);
  std::string_view msg;
  size_t used = 0;
  const char* err = nullptr;
  REQUIRE(parseFrame(f, &msg, &used, &err) == FrameStatus::Ok);
  CHECK(used == f.size());
  CHECK(msg.substr(msg.size() - r.message.size()) == r.message);
}

TEST_CASE("malformed frames are reported, partial ones need more") {
  std::string_view msg;
  size_t used = 0;
  const char* err = nullptr;
  CHECK(parseFrame("abc", &msg, &used, &err) == FrameStatus::Malformed);
  CHECK(std::string(err) == "frame does not start with a decimal length");
  CHECK(parseFrame("05 hello", &msg, &used, &err) == FrameStatus::Malformed);
  CHECK(parseFrame("5hello", &msg, &used, &err) == FrameStatus::Malformed);
  CHECK(parseFrame("12345678901 x", &msg, &used, &err) == FrameStatus::Malformed);
  CHECK(parseFrame("999999999 x", &msg, &used, &err) == FrameStatus::Malformed);  // over 64 MiB
  CHECK(parseFrame("10 short", &msg, &used, &err) == FrameStatus::NeedMore);
  CHECK(parseFrame("12", &msg, &used, &err) == FrameStatus::NeedMore);
  CHECK(parseFrame("", &msg, &used, &err) == FrameStatus::NeedMore);
  REQUIRE(parseFrame("5 hello5 world", &msg, &used, &err) == FrameStatus::Ok);
  CHECK(msg == "hello");
  CHECK(used == 7);
}

TEST_CASE("Frames iterates over every frame of a batch") {
  std::vector<std::string> got;
  for (std::string_view m : Frames("1 a2 bc3 def")) got.emplace_back(m);
  CHECK(got == std::vector<std::string>{"a", "bc", "def"});
}
