#include "agent/config/yaml_support.h"

#include <vector>

#include <yaml-cpp/yaml.h>

namespace sluice {

Mark toMark(const YAML::Mark& mark, const std::string& file) {
  if (mark.is_null() || mark.line < 0) return Mark{file, 0, 0};
  return Mark{file, mark.line + 1, mark.column + 1};
}

Mark toMark(const YAML::Node& node, const std::string& file) {
  if (!node.IsDefined()) return Mark{file, 0, 0};
  return toMark(node.Mark(), file);
}

Mark markOr(const YAML::Node& node, const std::string& file, const Mark& fallback) {
  Mark m = toMark(node, file);
  return m.line > 0 ? m : fallback;
}

std::string formatMark(const Mark& mark) {
  if (mark.line <= 0) return mark.file;
  return mark.file + ":" + std::to_string(mark.line) + ":" + std::to_string(mark.column);
}

std::string_view nodeKindName(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map:
      return "a mapping";
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Scalar:
      return "a value";
    default:
      return "nothing";
  }
}

namespace {

// The lines of `yaml`, and the indentation of one (-1 for a blank or comment line).
std::vector<std::string_view> linesOf(std::string_view yaml) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (start <= yaml.size()) {
    size_t end = yaml.find('\n', start);
    if (end == std::string_view::npos) end = yaml.size();
    out.push_back(yaml.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

int indentOf(std::string_view line) {
  size_t n = line.find_first_not_of(' ');
  if (n == std::string_view::npos || line[n] == '#' || line[n] == '\r') return -1;
  return static_cast<int>(n);
}

}  // namespace

std::string explainYamlError(const std::string& message, std::string_view yaml, int line) {
  const bool about_indentation = message == "illegal map value" || message == "end of map not found" ||
                                 message == "end of sequence not found" || message == "bad indentation of a mapping entry";
  const std::vector<std::string_view> lines = linesOf(yaml);
  if (!about_indentation || line < 1 || static_cast<size_t>(line) >= lines.size()) return message;
  const int here = indentOf(lines[static_cast<size_t>(line)]);
  int above = -1;
  for (int i = line - 1; i >= 0 && above < 0; --i) above = indentOf(lines[static_cast<size_t>(i)]);
  if (here < 0 || above < 0) return message;
  const bool item_above = lines[static_cast<size_t>(line) - 1].find("- ") == static_cast<size_t>(above);
  std::string why;
  if (here > above && !item_above) {
    why = "this line is indented more than the line above it: keys of one mapping must line up (or, if the line "
          "above is a value holding ': ', quote it)";
  } else if (here > above) {
    why = "this line is indented more than the keys of the list item above it: they must line up with the key "
          "after its '- '";
  } else if (here < above) {
    why = "this line is indented less than the line above it, but not as little as a level it could belong to: "
          "keys of one mapping must line up, and a list's '- ' items too";
  } else {
    why = "this item is indented differently from the list or mapping it belongs to";
  }
  return why + " (" + message + ")";
}

}  // namespace sluice
