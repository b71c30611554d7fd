#include "agent/pipeline/source_selector.h"

#include <fnmatch.h>

#include <algorithm>

namespace sluice {

bool inputMatches(std::string_view pattern, std::string_view source_name) {
  return fnmatch(std::string(pattern).c_str(), std::string(source_name).c_str(), 0) == 0;
}

SourceSelector::SourceSelector(std::vector<std::string> patterns) : patterns_(std::move(patterns)) {
  if (std::find(patterns_.begin(), patterns_.end(), "*") != patterns_.end()) patterns_.clear();
}

bool SourceSelector::takes(std::string_view source_name) const {
  if (patterns_.empty()) return true;
  return std::any_of(patterns_.begin(), patterns_.end(),
                     [&](const std::string& p) { return inputMatches(p, source_name); });
}

}  // namespace sluice
