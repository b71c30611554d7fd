// libFuzzer target: a docker json-file line ({"log":"...","stream":"stdout","time":"..."}) as the tail source
// reads it. It must never crash, read out of bounds or hang (RapidJSON in situ, with SIMD reads of a padded
// copy). A record it accepts round-trips: written back as JSON (log escaped, the stream, the end of line), it
// parses to the same log text, stream and completeness; and the general reader alone gives the same answer as the
// fast path for Docker's own shape.
#include <cstdio>
#include <string>
#include <string_view>

#include "plugins/tail/docker_json.h"
#include "tests/fuzz/fuzz_check.h"

namespace {

void appendJsonString(std::string& out, std::string_view s) {
  out.push_back('"');
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(ch);
    } else if (c < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out.append(buf);
    } else {
      out.push_back(ch);
    }
  }
  out.push_back('"');
}

void checkLine(sluice::plugins::tail::DockerJsonParser& parser, sluice::plugins::tail::DockerJsonParser& reader,
               std::string_view line) {
  sluice::plugins::tail::DockerLine d;
  sluice::plugins::tail::DockerLine r;
  const bool parsed = parser.parse(line, d);
  FUZZ_CHECK(parsed == reader.parseWithReader(line, r));
  if (!parsed) return;
  FUZZ_CHECK(d.log == r.log);
  FUZZ_CHECK(d.is_stderr == r.is_stderr);
  FUZZ_CHECK(d.complete == r.complete);
  FUZZ_CHECK(d.time_us == r.time_us);
  FUZZ_CHECK(d.log.size() <= line.size());
  std::string log(d.log);
  bool is_stderr = d.is_stderr;
  bool complete = d.complete;

  std::string again = "{\"log\":";
  // A complete line ends with "\n", and one "\r" before it is taken off too: "\r\n" keeps a final "\r" of the text.
  appendJsonString(again, complete ? log + "\r\n" : log);
  again += is_stderr ? ",\"stream\":\"stderr\"}" : ",\"stream\":\"stdout\"}";
  sluice::plugins::tail::DockerLine d2;
  FUZZ_CHECK(parser.parse(again, d2));
  FUZZ_CHECK(d2.log == log);
  FUZZ_CHECK(d2.is_stderr == is_stderr);
  FUZZ_CHECK(d2.complete == complete);
}

}  // namespace

// The input is a file: each line goes through one parser, whose buffers are reused line after line as in the
// agent.
extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view rest = sluice::fuzz::text(data, size);
  sluice::plugins::tail::DockerJsonParser parser;
  sluice::plugins::tail::DockerJsonParser reader;
  for (;;) {
    size_t nl = rest.find('\n');
    checkLine(parser, reader, rest.substr(0, nl));
    if (nl == std::string_view::npos) break;
    rest.remove_prefix(nl + 1);
  }
  return 0;
}
