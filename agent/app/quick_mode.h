#pragma once
// Quick mode (`--drain URL [-- CMD]`) is written as a small YAML config and loaded like any other, so it gets the
// same validation and defaults.
#include <string>

#include "agent/app/cli.h"

namespace sluice {

// The YAML for the sources and sinks the command line asks for: `sources:` (stdin, or exec for -- CMD) and
// `sinks:` (the drain). With `with_source` false only the sink is written.
std::string quickModeYaml(const CliOptions& cli, bool with_source);

}  // namespace sluice
