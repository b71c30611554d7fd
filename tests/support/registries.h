#pragma once
// Plugin registries for config tests: the built-in sources with the sinks a test brings.
#include "agent/plugin/registry.h"

namespace sluice {

// The built-in source plugins (stdin, exec, tail, logplex) and no sink.
PluginRegistry builtinSources();

}  // namespace sluice
