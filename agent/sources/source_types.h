#pragma once
// The source types the core provides and the options each declares (the same tables validate YAML and print
// `sluice --help-plugin`).
#include <span>
#include <string_view>

#include "agent/config/options.h"

namespace sluice {

struct SourceType {
  std::string_view name;
  std::string_view help;
  std::span<const OptionSpec> options;   // besides `name` and `type`
  // Checks between values that the table cannot express (pure: no I/O); errors carry the key's mark.
  void (*validate)(const OptionValues& values, ConfigErrors& errors) = nullptr;
};

std::span<const SourceType> sourceTypes();
const SourceType* findSourceType(std::string_view name);

// Keys every source has.
std::span<const OptionSpec> commonSourceOptions();

}  // namespace sluice
