#pragma once
// Shared by options.cc (the values, their getters and help) and option_parser.cc (reading them from YAML).
#include <cctype>
#include <chrono>
#include <map>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "agent/config/options.h"
#include "agent/core/text_split.h"

namespace sluice {

using OptionValue = std::variant<std::string, bool, int64_t, uint64_t, std::chrono::milliseconds,
                                 std::vector<std::string>, std::map<std::string, std::string>>;

struct OptionValues::Impl {
  struct Entry {
    OptionSpec spec;
    OptionValue value;
    bool set = false;      // written and valid
    bool written = false;  // written at all (even when invalid): no "missing" error, duplicates detected
    Mark mark;             // of the value: what errors about the value point at
    Mark key_mark;         // of the key: what "duplicate key" points back to
    std::vector<Mark> item_marks;   // a written list's items, in order
  };
  std::map<std::string, Entry, std::less<>> entries;
  std::vector<std::string> order;  // the names as the tables declare them (`check --show` keeps that order)
  Mark section;
};

inline std::string lowerAscii(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// "a|b|c" → {"a", "b", "c"}
inline std::vector<std::string> splitChoices(std::string_view choices) { return splitText(choices, '|'); }

}  // namespace sluice
