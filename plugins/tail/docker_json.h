#pragma once
// Docker's json-file log driver writes one JSON object per line:
//   {"log":"the line\n","stream":"stdout","time":"2024-05-01T10:00:00.123456789Z"}
// A line longer than 16 KiB is written as several objects; only the last one's "log" ends with "\n". A line in
// exactly that shape is read by a short SSE2 scan; any other is parsed with RapidJSON's SAX reader, iteratively (no
// recursion: the input cannot set the stack's depth) and in situ in a scratch copy of the line (the text is
// unescaped in place, with RapidJSON's SIMD scanning). Nothing is allocated per line once the buffers are warm.
#include <cstdint>
#include <memory>
#include <string_view>

namespace sluice::plugins::tail {

struct DockerLine {
  std::string_view log;     // unescaped, without the final "\n" (and a "\r" before it); valid until the next parse
  bool is_stderr = false;
  bool complete = false;    // "log" ended with "\n": the last part of a line
  int64_t time_us = 0;      // the record's "time", 0 when absent or not a timestamp
};

class DockerJsonParser {
 public:
  DockerJsonParser();
  ~DockerJsonParser();
  DockerJsonParser(const DockerJsonParser&) = delete;
  DockerJsonParser& operator=(const DockerJsonParser&) = delete;

  // False when `line` is not a json-file record: malformed JSON, not an object, or no "log" string.
  bool parse(std::string_view line, DockerLine& out);
  // The same with the general reader alone. parse() reads Docker's own shape without it, faster; the fuzz target
  // checks that the two agree.
  bool parseWithReader(std::string_view line, DockerLine& out);

 private:
  struct Impl;   // keeps RapidJSON (and its SIMD settings) out of every other translation unit
  std::unique_ptr<Impl> impl_;
};

}  // namespace sluice::plugins::tail
