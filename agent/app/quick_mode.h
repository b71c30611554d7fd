#pragma once
// Quick mode (`--drain URL [-- CMD]`) is written as a small YAML config and loaded like any other, so it gets the
// same validation and defaults. With --config, the same flags add a sink and a source to the file's.
#include <optional>
#include <string>

#include "agent/app/cli.h"
#include "agent/app/agent_config.h"
#include "agent/plugin/registry.h"

namespace sluice {

// The YAML of what the command line asks for: a source (stdin, or exec for -- CMD) and a sink (the drain). A
// part the command line does not ask for is a placeholder so that the text is a complete config.
std::string quickModeYaml(const CliOptions& cli);

// The configuration to run: the file (cli.config_path), the quick mode config, or the file plus the drain sink
// (named "drain") and the exec source that the command line adds.
std::optional<AgentConfig> loadRunConfig(const CliOptions& cli, const PluginRegistry& registry, ConfigErrors& errors);

}  // namespace sluice
