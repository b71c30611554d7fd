#pragma once
// What every source has, whatever its type: the keys of every source's table, and reading a severity option.
#include <memory>
#include <span>
#include <string_view>

#include "agent/config/options.h"
#include "agent/core/record.h"
#include "agent/plugin/plugin.h"

namespace sluice {

// The `severity:` keywords of RFC 5424 that source options accept.
inline constexpr std::string_view kSeverityNames = "emerg|alert|crit|err|warning|notice|info|debug";

// Keys every source has (name, enabled, max_line_bytes): the core adds them to every source plugin's table.
std::span<const OptionSpec> commonSourceOptions();

// A severity option's value ("err"), or `fallback` when it names none.
Severity severityOption(const OptionValues& values, std::string_view key, Severity fallback);

// A source plugin's `validate` when its option table says everything: the values are kept as its SourceValues,
// which its createSource reads.
std::unique_ptr<PluginConfig> keepSourceValues(const OptionValues& values, ConfigErrors& errors);

// Likewise after `Check` (pure) added the errors the table cannot express; nothing is kept when it added any.
template <void (*Check)(const OptionValues&, ConfigErrors&)>
std::unique_ptr<PluginConfig> checkSourceValues(const OptionValues& values, ConfigErrors& errors) {
  const size_t before = errors.size();
  Check(values, errors);
  if (errors.size() != before) return nullptr;
  return keepSourceValues(values, errors);
}

// What a source plugin's createSource reads.
inline const OptionValues& sourceValues(const PluginConfig& config) {
  return static_cast<const SourceValues&>(config).values;
}

}  // namespace sluice
