// The text helpers every layer shares: JSON strings, percent-decoding, path parts, UTF-8 validity.
#include <catch2/catch.hpp>

#include <cstdio>
#include <string>

#include "agent/core/path.h"
#include "agent/core/placeholders.h"
#include "agent/core/text_split.h"
#include "agent/core/url.h"
#include "agent/core/utf8.h"
#include "agent/formats/json_escape.h"

using namespace sluice;

namespace {

std::string json(std::string_view s, InvalidUtf8 invalid) {
  std::string out(maxJsonStringLength(s), '\0');
  out.resize(writeJsonString(s, out.data(), invalid));
  return out;
}

// One byte at a time, every byte of 0x80 and up taken as invalid (the test's strings hold them alone): what
// writeJsonString's runs of plain bytes must agree with.
std::string jsonReference(std::string_view s) {
  static const char* const kShort[] = {"\\b", "\\t", "\\n", nullptr, "\\f", "\\r"};
  std::string out = "\"";
  for (unsigned char c : s) {
    char buf[8];
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c >= 8 && c <= 13 && kShort[c - 8] != nullptr) {
      out += kShort[c - 8];
    } else if (c < 0x20 || c >= 0x80) {
      std::snprintf(buf, sizeof buf, c < 0x20 ? "\\u%04X" : "\\\\x%02x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

}  // namespace

TEST_CASE("JSON strings: a byte to escape is found at every place of a run, however long the run", "[text]") {
  // Runs of plain bytes are scanned sixteen at a time: each special byte at each offset of strings up to 40 bytes.
  const unsigned char specials[] = {'"', '\\', 0x00, 0x01, '\n', 0x1f, 0x80, 0xc3, 0xff};
  for (size_t len = 1; len <= 40; ++len) {
    for (size_t at = 0; at < len; ++at) {
      for (unsigned char c : specials) {
        std::string s(len, 'a');
        for (size_t i = 0; i < len; ++i) s[i] = static_cast<char>('a' + i % 26);
        s[at] = static_cast<char>(c);
        INFO("length " << len << ", byte " << static_cast<int>(c) << " at " << at);
        CHECK(json(s, InvalidUtf8::HexText) == jsonReference(s));
      }
    }
  }
  // DEL (0x7f) is printable for JSON: copied as it is.
  CHECK(json(std::string(20, '\x7f'), InvalidUtf8::HexText) == "\"" + std::string(20, '\x7f') + "\"");
}

TEST_CASE("JSON strings are escaped once for every writer, invalid bytes as each asks", "[text]") {
  const std::string in = std::string("caf\xc3\xa9 \"q\" \\ \x01\b\f\n\r\t end ") + "\xff";
  CHECK(json(in, InvalidUtf8::Replacement) ==
        "\"caf\xc3\xa9 \\\"q\\\" \\\\ \\u0001\\b\\f\\n\\r\\t end \\ufffd\"");
  CHECK(json(in, InvalidUtf8::HexText) ==
        "\"caf\xc3\xa9 \\\"q\\\" \\\\ \\u0001\\b\\f\\n\\r\\t end \\\\xff\"");
  CHECK(json("", InvalidUtf8::HexText) == "\"\"");
  // The worst case fits the room asked for.
  const std::string controls(100, '\x01');
  CHECK(json(controls, InvalidUtf8::HexText).size() == maxJsonStringLength(controls));
}

TEST_CASE("percent-decoding: strict for URLs, form rules for query strings", "[text]") {
  std::string out;
  CHECK(percentDecode("a%20b%2Fc+d", out));
  CHECK(out == "a b/c+d");
  CHECK_FALSE(percentDecode("bad%2", out));
  CHECK_FALSE(percentDecode("bad%zz", out));
  CHECK(percentDecode("a+b%41%", out, PercentDecoding::Form));
  CHECK(out == "a bA%");
  CHECK(percentDecode("%zz", out, PercentDecoding::Form));
  CHECK(out == "%zz");
}

TEST_CASE("path parts: base name and the directory to open", "[text]") {
  CHECK(baseName("/var/log/app.log") == "app.log");
  CHECK(baseName("app.log") == "app.log");
  CHECK(baseName("/var/log/") == "");
  CHECK(dirName("/var/log/app.log") == "/var/log");
  CHECK(dirName("/app.log") == "/");
  CHECK(dirName("app.log") == ".");
}

TEST_CASE("a source's name as a file name: safe characters kept, the rest escaped so that names never collide",
          "[text]") {
  CHECK(safeFileName("web-1_a.b") == "web-1_a.b");
  CHECK(safeFileName("a source") == "a%20source");
  CHECK(safeFileName("../x") == "%2e.%2fx");   // no leading dot, no slash: never a path
  CHECK(safeFileName("a/b") != safeFileName("a%2fb"));
  CHECK(safeFileName("") == "");
}

TEST_CASE("placeholders: a known {name} is replaced, an unknown one and an unclosed brace stay as written", "[text]") {
  auto expand = [](std::string_view text) {
    return expandPlaceholders(text, [](std::string_view name) -> std::optional<std::string_view> {
      if (name == "a") return "1";
      if (name == "empty") return "";
      return std::nullopt;
    });
  };
  CHECK(expand("x{a}y{a}") == "x1y1");
  CHECK(expand("[{empty}] {b} {a") == "[] {b} {a");
  CHECK(expand("{}{a}}") == "{}1}");
  CHECK(expand("").empty());
}

TEST_CASE("text split at a separator keeps empty fields, and lines drop only the one after a final newline", "[text]") {
  using Fields = std::vector<std::string>;
  CHECK(splitText("a|b|", '|') == Fields{"a", "b", ""});
  CHECK(splitText("|", '|') == Fields{"", ""});
  CHECK(splitText("", '|').empty());
  CHECK(splitLines("a\n\nb\n\n") == Fields{"a", "", "b", ""});
  CHECK(splitLines("\n") == Fields{""});
}

TEST_CASE("UTF-8 validity rejects overlong forms, surrogates and code points past U+10FFFF", "[text]") {
  CHECK(validUtf8("plain ascii, long enough for the fast path"));
  CHECK(validUtf8("caf\xc3\xa9 \xf0\x9f\x98\x80"));
  CHECK_FALSE(validUtf8("\xc0\xaf"));           // overlong '/'
  CHECK_FALSE(validUtf8("\xed\xa0\x80"));       // a surrogate
  CHECK_FALSE(validUtf8("\xf4\x90\x80\x80"));   // above U+10FFFF
  CHECK_FALSE(validUtf8("cut \xe2\x82"));
}
