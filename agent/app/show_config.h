#pragma once
// `sluice check --config FILE --show`: the configuration as Sluice understands it, as YAML: every key of every
// section, source and sink (defaults filled in, ${VAR}s expanded), credentials as ****, and under each tail
// source, as comments, the files its paths match now.
#include <string>
#include <vector>

#include "agent/app/agent_config.h"

namespace sluice {

std::string showConfig(const AgentConfig& config, const PluginRegistry& registry);

// What `sluice check` notes besides errors: each enabled tail source's pattern that matches no file now (a warning
// at run time too), naming a directory that does not exist.
std::vector<std::string> checkNotes(const AgentConfig& config);

}  // namespace sluice
