#pragma once
// Bash completion for sluice, written from the command line's own flag tables and the plugin registry
// (`sluice --completion bash`; the package installs it in /usr/share/bash-completion/completions/sluice).
#include <string>

#include "agent/plugin/registry.h"

namespace sluice {

// The completion script for `shell` ("bash"); "" for a shell it does not know.
std::string completionScript(std::string_view shell, const PluginRegistry& registry);

}  // namespace sluice
