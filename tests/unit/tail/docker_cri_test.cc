#include <catch2/catch.hpp>

#include <string>

#include "agent/core/clock.h"
#include "plugins/tail/cri.h"
#include "plugins/tail/docker_json.h"
#include "plugins/tail/event_time.h"

using namespace sluice;
using namespace sluice::plugins::tail;

namespace {

int64_t micros(const char* ts) { return *parseTimestampMicros(ts); }

}  // namespace

TEST_CASE("a docker json-file line gives its text, stream and time") {
  DockerJsonParser p;
  DockerLine d;
  REQUIRE(p.parse(R"({"log":"hello world\n","stream":"stdout","time":"2024-05-01T10:00:00.123456789Z"})", d));
  CHECK(d.log == "hello world");
  CHECK(d.complete);
  CHECK_FALSE(d.is_stderr);
  CHECK(d.time_us == micros("2024-05-01T10:00:00.123457Z"));  // rounded to six digits
  REQUIRE(p.parse(R"({"log":"oops\r\n","stream":"stderr","time":"2024-05-01T10:00:01Z"})", d));
  CHECK(d.log == "oops");
  CHECK(d.is_stderr);
}

TEST_CASE("docker text is JSON-unescaped, unicode escapes and surrogate pairs included") {
  DockerJsonParser p;
  DockerLine d;
  REQUIRE(p.parse(R"({"log":"tab\there \"q\" back\\slash \u00e9 \ud83d\ude00 raw é \/\n","stream":"stdout","time":"2024-05-01T10:00:00Z"})", d));
  CHECK(d.log == "tab\there \"q\" back\\slash \xc3\xa9 \xf0\x9f\x98\x80 raw \xc3\xa9 /");
  REQUIRE(p.parse(R"({"log":"nul \u0000 inside\n","stream":"stdout"})", d));
  CHECK(d.log == std::string("nul \0 inside", 12));
  CHECK(d.time_us == 0);  // no time: the receive time is used
}

TEST_CASE("a docker line without a trailing newline is a part of a longer line") {
  DockerJsonParser p;
  DockerLine d;
  REQUIRE(p.parse(R"({"log":"first half ","stream":"stdout","time":"2024-05-01T10:00:00Z"})", d));
  CHECK(d.log == "first half ");
  CHECK_FALSE(d.complete);
}

TEST_CASE("other members, nested objects and key order do not matter") {
  DockerJsonParser p;
  DockerLine d;
  REQUIRE(p.parse(R"({"time":"2024-05-01T10:00:00Z","attrs":{"log":"not this","x":[1,2,{"stream":"stderr"}]},"stream":"stdout","log":"this\n"})", d));
  CHECK(d.log == "this");
  CHECK_FALSE(d.is_stderr);
  CHECK(d.time_us == micros("2024-05-01T10:00:00Z"));
}

TEST_CASE("a line in Docker's own shape reads the same as through the general JSON reader") {
  const char* lines[] = {
      R"({"log":"plain\n","stream":"stdout","time":"2024-05-01T10:00:00.5Z"})",
      R"({"log":"tab\there \"q\" back\\slash \/ \b\f\n","stream":"stderr","time":"2024-05-01T10:00:00Z"})",
      R"({"log":"crlf\r\n","stream":"stdout","time":"2024-05-01T10:00:00Z"})",
      R"({"log":"a part, no newline","stream":"stdout","time":"2024-05-01T10:00:00Z"})",
      R"({"log":"newline inside\nand at the end\n","stream":"stdout","time":"2024-05-01T10:00:00Z"})",
      R"({"log":"a sixteen-byte-plus run of text before the escape \" and after it\n","stream":"stdout","time":"x"})",
      R"({"log":"unicode \u00e9\n","stream":"stdout","time":"2024-05-01T10:00:00Z"})",     // \u: the reader's
      R"({"log":"trailing space\n","stream":"stdout","time":"2024-05-01T10:00:00Z"} )",    // not the exact shape
      R"({"log":"x\n","stream":"other","time":"2024-05-01T10:00:00Z"})",
      R"({"log":"bad escape \q\n","stream":"stdout","time":"2024-05-01T10:00:00Z"})",
      R"({"log":"unterminated\n","stream":"stdout","time":"2024-05-01T10:00:00Z)",
      "{\"log\":\"control \x01 byte\\n\",\"stream\":\"stdout\",\"time\":\"2024-05-01T10:00:00Z\"}",
      R"({"log":"x\n","stream":"stdout","time":"2024-05-01T10:00:00Z"}garbage)",
  };
  DockerJsonParser fast;
  DockerJsonParser general;
  for (const char* line : lines) {
    INFO(line);
    DockerLine a;
    DockerLine b;
    const bool parsed = fast.parse(line, a);
    REQUIRE(parsed == general.parseWithReader(line, b));
    if (!parsed) continue;
    CHECK(a.log == b.log);
    CHECK(a.is_stderr == b.is_stderr);
    CHECK(a.complete == b.complete);
    CHECK(a.time_us == b.time_us);
  }
  DockerLine d;
  REQUIRE(fast.parse(R"({"log":"newline inside\nand at the end\n","stream":"stdout","time":"2024-05-01T10:00:00Z"})", d));
  CHECK(d.log == "newline inside\nand at the end");
  CHECK(d.complete);
}

TEST_CASE("malformed docker lines are refused") {
  DockerJsonParser p;
  DockerLine d;
  CHECK_FALSE(p.parse(R"({"log":"unterminated)", d));
  CHECK_FALSE(p.parse("plain text", d));
  CHECK_FALSE(p.parse(R"({"stream":"stdout"})", d));          // no log
  CHECK_FALSE(p.parse(R"({"log":42})", d));                   // log not a string
  CHECK_FALSE(p.parse(R"(["log","x"])", d));
  CHECK_FALSE(p.parse(R"({"log":"a\n"} trailing)", d));
  CHECK_FALSE(p.parse(R"({"log":"bad \ud800 surrogate\n"})", d));
  CHECK_FALSE(p.parse("", d));
  // And the parser is still fine afterwards.
  REQUIRE(p.parse(R"({"log":"ok\n"})", d));
  CHECK(d.log == "ok");
}

TEST_CASE("a docker line nested 130,000 deep is refused without exhausting the stack") {
  DockerJsonParser p;
  DockerLine d;
  const std::string open(130000, '[');
  CHECK_FALSE(p.parse(R"({"log":"deep\n","attrs":)" + open, d));
  // Well-formed but deeper than any json-file record: not a record either.
  const std::string objects = [] {
    std::string s;
    for (int i = 0; i < 100000; ++i) s += R"({"a":)";
    s += "1";
    s += std::string(100000, '}');
    return s;
  }();
  CHECK_FALSE(p.parse(R"({"log":"deep\n","attrs":)" + open + std::string(130000, ']') + "}", d));
  CHECK_FALSE(p.parse(R"({"log":"deep\n","attrs":)" + objects + "}", d));
  // A record as Docker writes it, with some nesting in its attributes, still parses.
  REQUIRE(p.parse(R"({"log":"ok\n","attrs":{"a":[[{"b":[1]}]]},"stream":"stderr"})", d));
  CHECK(d.log == "ok");
  CHECK(d.is_stderr);
}

TEST_CASE("a CRI line gives its message, stream, tag and time without copying") {
  CriLine c;
  std::string line = "2016-10-06T00:17:09.669794202Z stdout F The content of the log entry 1";
  REQUIRE(parseCriLine(line, c));
  CHECK(c.message == "The content of the log entry 1");
  CHECK(c.message.data() == line.data() + 40);
  CHECK_FALSE(c.partial);
  CHECK_FALSE(c.is_stderr);
  CHECK(c.time_us == micros("2016-10-06T00:17:09.669794Z"));

  REQUIRE(parseCriLine("2016-10-06T00:17:10.113242941Z stderr P First line of log entry 2", c));
  CHECK(c.partial);
  CHECK(c.is_stderr);
  CHECK(c.message == "First line of log entry 2");

  REQUIRE(parseCriLine("2016-10-06T02:17:10.113242941+02:00 stdout F", c));
  CHECK(c.message.empty());
  CHECK(c.time_us == micros("2016-10-06T00:17:10.113243Z"));
  REQUIRE(parseCriLine("2016-10-06T00:17:10Z stdout F:x  two spaces kept", c));
  CHECK(c.message == " two spaces kept");
}

TEST_CASE("malformed CRI lines are refused") {
  CriLine c;
  CHECK_FALSE(parseCriLine("hello world", c));
  CHECK_FALSE(parseCriLine("2016-10-06T00:17:09Z stdin F x", c));
  CHECK_FALSE(parseCriLine("2016-10-06T00:17:09Z stdout X x", c));
  CHECK_FALSE(parseCriLine("2016-10-06T00:17:09Z stdout FP x", c));
  CHECK_FALSE(parseCriLine("not-a-timestamp stdout F x", c));
  CHECK_FALSE(parseCriLine("2016-10-06T00:17:09Z stdout", c));
  CHECK_FALSE(parseCriLine("", c));
}

TEST_CASE("container timestamps parsed with the per-second cache equal a full parse") {
  EventTimeParser p;
  const char* samples[] = {
      "2024-05-01T10:00:00.123456789Z", "2024-05-01T10:00:00.123456489Z", "2024-05-01T10:00:00.9999995Z",
      "2024-05-01T10:00:00.5Z",         "2024-05-01T10:00:01.000000001Z", "2024-05-01T12:00:01.25+02:00",
      "2024-05-01T12:00:01.26+02:00",   "2024-05-01T10:00:01.26Z",        "2024-05-01T10:00:01Z",
      "2024-05-01T10:00:01.7Z",
  };
  for (const char* s : samples) {
    INFO(s);
    CHECK(p.parse(s) == *parseTimestampMicros(s));
  }
  CHECK(p.parse("2024-05-01T10:00:01.7Zjunk") == 0);
  CHECK(p.parse("not a time") == 0);
}
