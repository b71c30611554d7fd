#include "agent/config/yaml_support.h"

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

}  // namespace sluice
