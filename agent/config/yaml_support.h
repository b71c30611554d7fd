#pragma once
// Small glue between yaml-cpp and the configuration's errors: positions and node kinds.
#include <string>
#include <string_view>

#include "agent/config/options.h"

namespace YAML {
struct Mark;
}

namespace sluice {

// yaml-cpp counts from 0; users and editors count from 1. A null mark (no position) becomes line 0.
Mark toMark(const YAML::Mark& mark, const std::string& file);
Mark toMark(const YAML::Node& node, const std::string& file);
// The mark of `node` when it has one, else `fallback` (yaml-cpp gives some null values no position).
Mark markOr(const YAML::Node& node, const std::string& file, const Mark& fallback);

// "FILE:LINE:COL", "FILE" without a position, "" without a file.
std::string formatMark(const Mark& mark);

// yaml-cpp's syntax error `message` at 0-based `line` of `yaml`, explained in terms of indentation when that is
// what it is about (its own words stay, in parentheses): "this line is indented more than the line above it ...".
std::string explainYamlError(const std::string& message, std::string_view yaml, int line);

// "a mapping", "a list", "a value", "nothing": for "must be a list of strings, not a mapping".
std::string_view nodeKindName(const YAML::Node& node);

// "a, b, c"
std::string joinNames(const auto& names, std::string_view separator = ", ") {
  std::string out;
  for (const auto& n : names) {
    if (!out.empty()) out += separator;
    out += n;
  }
  return out;
}

}  // namespace sluice
