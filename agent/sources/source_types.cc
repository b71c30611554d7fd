#include "agent/sources/source_types.h"

namespace sluice {
namespace {

constexpr std::string_view kSeverities = "emerg|alert|crit|err|warning|notice|info|debug";

const OptionSpec kCommon[] = {
    {"name", OptionType::String, kRequired, "the source's name; the PROCID of its messages unless a sink says otherwise"},
    {"enabled", OptionType::Bool, "true", "false: declared but not started"},
    {"max_line_bytes", OptionType::Size, "0",
     "lines longer than this are split into several messages (0: agent.max_line_bytes)"},
};

const OptionSpec kStdin[] = {
    {"severity", OptionType::Enum, "info", "severity of every line", kSeverities},
};

const OptionSpec kExec[] = {
    {"command", OptionType::StringList, kRequired, "the program and its arguments, e.g. [\"/app/server\", \"--port\", \"8080\"]"},
    {"env", OptionType::StringMap, "{}", "variables added to the child's environment"},
    {"working_dir", OptionType::String, "", "the child's working directory (default: Sluice's)"},
    {"stdout_severity", OptionType::Enum, "info", "severity of lines the child writes to stdout", kSeverities},
    {"stderr_severity", OptionType::Enum, "err", "severity of lines the child writes to stderr", kSeverities},
};

const SourceType kTypes[] = {
    {"stdin", "lines from standard input (a pipe, a file or a terminal)", kStdin},
    {"exec", "runs a program and collects its stdout and stderr; Sluice exits with its status", kExec},
};

}  // namespace

std::span<const SourceType> sourceTypes() { return kTypes; }

const SourceType* findSourceType(std::string_view name) {
  for (const auto& t : kTypes) {
    if (t.name == name) return &t;
  }
  return nullptr;
}

std::span<const OptionSpec> commonSourceOptions() { return kCommon; }

}  // namespace sluice
