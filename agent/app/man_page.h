#pragma once
// The manual pages sluice(1) and sluice.yaml(5), written as roff from the tables the agent itself uses: the
// usage text, the agent/api option tables and every registered plugin's table. The package ships what the
// binary prints (`sluice --man 1|5`), so the pages cannot drift from the code.
#include <string>

#include "agent/plugin/registry.h"

namespace sluice {

// Section 1 (the command) or 5 (the configuration file); "" for any other section.
std::string manPage(int section, const PluginRegistry& registry);

}  // namespace sluice
