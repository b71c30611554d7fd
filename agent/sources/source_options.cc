#include "agent/sources/source_options.h"

namespace sluice {
namespace {

const OptionSpec kCommon[] = {
    {"name", OptionType::String, kRequired, "the source's name; the PROCID of its messages unless a sink says otherwise"},
    {"enabled", OptionType::Bool, "true", "false: declared but not started"},
    {"max_line_bytes", OptionType::Size, "0",
     "lines longer than this are split into several messages (0: agent.max_line_bytes)"},
};

}  // namespace

std::span<const OptionSpec> commonSourceOptions() { return kCommon; }

Severity severityOption(const OptionValues& values, std::string_view key, Severity fallback) {
  int s = severityFromName(values.str(key));
  return s < 0 ? fallback : static_cast<Severity>(s);
}

std::unique_ptr<PluginConfig> keepSourceValues(const OptionValues& values, ConfigErrors& /*errors*/) {
  return std::make_unique<SourceValues>(values);
}

}  // namespace sluice
