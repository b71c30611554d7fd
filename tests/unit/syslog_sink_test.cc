#include <catch2/catch.hpp>

#include "agent/app/agent_config.h"
#include "agent/formats/syslog_header.h"
#include "plugins/syslog/config.h"
#include "plugins/syslog/encoder.h"
#include "tests/support/error_cases.h"
#include "tests/support/syslog_header_check.h"

using namespace sluice;
using namespace sluice::plugins::syslog;

namespace {

const std::string kHeader = "<190>1 2024-01-02T03:04:05.000006Z host app proc - - ";

std::string frame(const std::string& msg) { return std::to_string(msg.size()) + " " + msg; }

std::string lf(const std::string& frames, NewlineMode mode, EncodeCounts* counts = nullptr) {
  std::vector<uv_buf_t> bufs;
  EncodeCounts c;
  streamBuffers(frames, Framing::Lf, mode, bufs, c);
  if (counts) *counts = c;
  return joinBuffers(bufs);
}

std::vector<std::string> udp(const std::string& frames, size_t max, Oversize o, EncodeCounts* counts = nullptr) {
  std::vector<Datagram> d;
  EncodeCounts c;
  udpDatagrams(frames, max, o, d, c);
  if (counts) *counts = c;
  return datagramBytes(d);
}

}  // namespace

TEST_CASE("rfc5424: the header of a framed message is read into its parts", "[syslog]") {
  const std::string m = kHeader + "hello world";
  SyslogHeader p = checkSyslogHeader(m, {.pri = 190, .timestamp = "2024-01-02T03:04:05.000006Z", .hostname = "host",
                                         .app_name = "app", .procid = "proc", .msgid = "-", .structured_data = "-",
                                         .msg = "hello world"});
  CHECK(p.msg_offset == kHeader.size());
}

TEST_CASE("rfc5424: structured data with escaped brackets and quotes, and an empty MSG", "[syslog]") {
  SyslogHeader p;
  const char* err = nullptr;
  std::string m = R"(<14>1 - h a p m [id@1 k="a \"]\" b"][x y="]"] the msg)";
  REQUIRE(parseSyslogHeader(m, &p, &err));
  CHECK(p.structured_data == R"([id@1 k="a \"]\" b"][x y="]"])");
  CHECK(p.msg == "the msg");
  const std::string empty = "<14>1 - h a p m -";
  REQUIRE(parseSyslogHeader(empty, &p, &err));
  CHECK(p.msg.empty());
  CHECK(p.msg_offset == 17);
}

TEST_CASE("rfc5424: malformed headers are refused", "[syslog]") {
  SyslogHeader p;
  const char* err = nullptr;
  for (std::string bad : {"plain text", "<999>1 - h a p m - x", "<14>0 - h a p m - x", "<14>1 - h a p", "<14>1 - h a p m [x",
                          "<14>1 - h a p m -x", "<>1 - h a p m - x", "<14>1  h a p m - x"}) {
    INFO(bad);
    const std::string m = bad;
    CHECK_FALSE(parseSyslogHeader(m, &p, &err));
  }
}

TEST_CASE("syslog tcp/tls with octet counting writes the batch as it is, in one buffer", "[syslog]") {
  std::string frames = frame(kHeader + "one") + frame(kHeader + "two\nlines");
  std::vector<uv_buf_t> bufs;
  EncodeCounts c;
  streamBuffers(frames, Framing::Octet, NewlineMode::Escape, bufs, c);
  REQUIRE(bufs.size() == 1);
  CHECK(bufs[0].base == frames.data());
  CHECK(joinBuffers(bufs) == frames);
}

TEST_CASE("syslog LF framing ends each message with a newline and escapes the ones inside", "[syslog]") {
  EncodeCounts c;
  std::string out = lf(frame(kHeader + "one") + frame(kHeader + "two\nlines\n") + frame(kHeader), NewlineMode::Escape, &c);
  CHECK(out == kHeader + "one\n" + kHeader + "two\\nlines\\n\n" + kHeader + "\n");
  CHECK(c.newlines_escaped == 1);
}

TEST_CASE("syslog LF framing can split a multi-line message into messages with the same header", "[syslog]") {
  EncodeCounts c;
  std::string out = lf(frame(kHeader + "first\n\nsecond\n") + frame(kHeader + "plain"), NewlineMode::Split, &c);
  CHECK(out == kHeader + "first\n" + kHeader + "second\n" + kHeader + "plain\n");
  CHECK(c.newline_splits == 1);
  CHECK(lf(frame(kHeader + "\n\n"), NewlineMode::Split) == kHeader + "\n");
}

TEST_CASE("syslog UDP sends one message per datagram, without framing", "[syslog]") {
  EncodeCounts c;
  auto d = udp(frame(kHeader + "one") + frame(kHeader + "two"), 2048, Oversize::Split, &c);
  CHECK(d == std::vector<std::string>{kHeader + "one", kHeader + "two"});
  CHECK(c.datagram_splits == 0);
  CHECK(c.truncated == 0);
}

TEST_CASE("syslog UDP splits a long message into datagrams that repeat its header", "[syslog]") {
  std::string body;
  for (int i = 0; body.size() < 3000; ++i) body += std::to_string(i) + ",";
  EncodeCounts c;
  auto d = udp(frame(kHeader + body), 1024, Oversize::Split, &c);
  REQUIRE(d.size() == 4);
  std::string joined;
  for (const auto& dg : d) {
    CHECK(dg.size() <= 1024);
    REQUIRE(dg.rfind(kHeader, 0) == 0);
    joined += dg.substr(kHeader.size());
  }
  CHECK(joined == body);
  CHECK(c.datagram_splits == 1);
}

TEST_CASE("syslog UDP cuts between UTF-8 characters", "[syslog]") {
  std::string body;
  while (body.size() < 1500) body += "\xc3\xa9";  // é
  std::string msg = kHeader + "x" + body;          // the odd byte puts every fixed cut inside a character
  auto split = udp(frame(msg), 600, Oversize::Split);
  std::string joined;
  for (const auto& dg : split) {
    std::string part = dg.substr(kHeader.size());
    CHECK((static_cast<unsigned char>(part[0]) & 0xC0) != 0x80);
    CHECK((static_cast<unsigned char>(part.back()) & 0xE0) != 0xC0);
    joined += part;
  }
  CHECK(joined == "x" + body);
  EncodeCounts c;
  auto cut = udp(frame(msg), 600, Oversize::Truncate, &c);
  REQUIRE(cut.size() == 1);
  CHECK(cut[0].size() <= 600);
  CHECK(cut[0].size() >= 598);
  CHECK(msg.rfind(cut[0], 0) == 0);
  CHECK((static_cast<unsigned char>(msg[cut[0].size()]) & 0xC0) != 0x80);
  CHECK(c.truncated == 1);
}

TEST_CASE("syslog options: scheme, framing, tls and datagram keys are checked together", "[syslog]") {
  PluginRegistry registry = PluginRegistry::withBuiltins();
  auto errors = [&](const std::string& sink) {
    ConfigErrors e;
    loadConfigText("sources:\n  - name: app\n    type: stdin\nsinks:\n  - name: s\n    type: syslog\n" + sink, "s.yaml",
                   registry, e);
    return e.joined();
  };
  checkErrorCases(errors, {
      {"    url: tls://collector:6514\n    tls: {ca_file: /ca.pem}\n", ""},
      {"    url: udp://h:514\n    max_datagram: 8KiB\n    oversize: truncate\n", ""},
      {"    url: tcp://h:514\n    framing: lf\n    newlines: split\n", ""},
      {"    url: https://h/logs\n", "the scheme must be tcp, tls or udp"},
      {"    url: tcp://h:514/path\n", "without user, path or query"},
      {"    url: udp://h\n    framing: lf\n", "s.yaml:8:14: framing applies to tcp"},
      {"    url: tcp://h\n    max_datagram: 1KiB\n", "max_datagram applies to udp"},
      {"    url: udp://h\n    max_datagram: 100\n", "between 480 and 65000"},
      {"    url: udp://h\n    max_datagram: 64KiB\n", "between 480 and 65000"},
      {"    url: tcp://h\n    tls: {verify: false}\n", "tls.verify applies to tls:// only"},
      {"    url: tcp://h\n    newlines: split\n", "newlines applies to framing: lf"},
      {"    url: tls://h\n    tls: {cert_file: c.pem}\n", "go together"},
  });
}
