#include <catch2/catch.hpp>

#include <cstring>
#include <string>
#include <vector>

#include "agent/pipeline/line_splitter.h"

using namespace sluice;

namespace {

struct Feed {
  explicit Feed(size_t max) : splitter(max) {}
  void push(std::string_view data) {
    while (!data.empty()) {
      uv_buf_t buf = splitter.readBuffer();
      size_t n = std::min<size_t>(buf.len, data.size());
      std::memcpy(buf.base, data.data(), n);
      splitter.commit(n, [&](std::string_view line, bool piece) {
        lines.emplace_back(line);
        pieces.push_back(piece);
      });
      data.remove_prefix(n);
    }
  }
  void finish() {
    splitter.finish([&](std::string_view line, bool piece) {
      lines.emplace_back(line);
      pieces.push_back(piece);
    });
  }
  LineSplitter splitter;
  std::vector<std::string> lines;
  std::vector<bool> pieces;
};

}  // namespace

TEST_CASE("lines split across reads are put back together") {
  Feed f(1024);
  f.push("hel");
  f.push("lo\nwor");
  CHECK(f.lines == std::vector<std::string>{"hello"});
  f.push("ld\n\nlast");
  CHECK(f.lines == std::vector<std::string>{"hello", "world", ""});
  f.finish();
  CHECK(f.lines == std::vector<std::string>{"hello", "world", "", "last"});
}

TEST_CASE("the newline is not part of the message and a CR before it is stripped") {
  Feed f(1024);
  f.push("a\r\nb\rc\r\n\r\n");
  CHECK(f.lines == std::vector<std::string>{"a", "b\rc", ""});
}

TEST_CASE("a line longer than max_line_bytes is split into pieces, none lost") {
  Feed f(100);
  std::string big(350, 'x');
  f.push(big + "\nshort\n");
  REQUIRE(f.lines.size() == 5);
  CHECK(f.lines[0].size() == 100);
  CHECK(f.lines[3].size() == 50);
  CHECK(f.lines[4] == "short");
  CHECK(f.pieces == std::vector<bool>{true, true, true, true, false});
  std::string joined = f.lines[0] + f.lines[1] + f.lines[2] + f.lines[3];
  CHECK(joined == big);
  CHECK(f.splitter.splitLines() == 1);
}

TEST_CASE("a huge line arriving in many reads is split as it arrives, memory stays bounded") {
  Feed f(1000);
  std::string chunk(700, 'y');
  for (int i = 0; i < 100; ++i) f.push(chunk);
  CHECK(f.splitter.pendingBytes() <= 1001);
  f.push("\n");
  size_t total = 0;
  for (auto& l : f.lines) {
    CHECK(l.size() <= 1000);
    total += l.size();
  }
  CHECK(total == 70000);
  CHECK(f.splitter.splitLines() == 1);
}

TEST_CASE("a split never cuts a UTF-8 character in two") {
  Feed f(10);
  std::string s = "aaaaaaaaa\xc3\xa9" "bbbb\n";  // the cut at 10 would fall inside é
  f.push(s);
  REQUIRE(f.lines.size() == 2);
  CHECK(f.lines[0] == "aaaaaaaaa");
  CHECK(f.lines[1] == "\xc3\xa9" "bbbb");
}

TEST_CASE("a 1 MB line with invalid UTF-8 is split without crashing") {
  Feed f(64 * 1024);
  std::string big(1 << 20, '\xff');
  f.push(big);
  f.push("\n");
  size_t total = 0;
  for (auto& l : f.lines) total += l.size();
  CHECK(total == big.size());
  CHECK(f.lines.size() == 16);
}
