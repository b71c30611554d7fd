#pragma once
// Text cut at a separator: an option's enum choices ("a|b|c"), the lines of a config printout, and the tests that
// compare output line by line.
#include <string>
#include <string_view>
#include <vector>

namespace sluice {

// The fields of `text` between `sep`s, empty ones too: "a|b|" → {"a", "b", ""}; "" → {}.
inline std::vector<std::string> splitText(std::string_view text, char sep) {
  std::vector<std::string> out;
  if (text.empty()) return out;
  size_t start = 0;
  for (;;) {
    size_t end = text.find(sep, start);
    if (end == std::string_view::npos) break;
    out.emplace_back(text.substr(start, end - start));
    start = end + 1;
  }
  out.emplace_back(text.substr(start));
  return out;
}

// The lines of `text` without their newlines (a last line without one counts too; nothing after a final newline).
inline std::vector<std::string> splitLines(std::string_view text) {
  std::vector<std::string> out = splitText(text, '\n');
  if (!out.empty() && out.back().empty()) out.pop_back();
  return out;
}

}  // namespace sluice
