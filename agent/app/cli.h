#pragma once
#include <string>
#include <vector>

#include "agent/core/result.h"

namespace sluice {

struct CliOptions {
  enum class Command { Run, Check, Version, Help, HelpPlugin, Convert, Logs, Health };
  Command command = Command::Run;
  std::string config_path;          // --config
  std::string drain_url;            // --drain
  std::vector<std::string> exec;    // after --
  std::string source_name;          // --name (quick mode)
  std::string log_level;            // --log-level
  std::string plugin;               // --help-plugin NAME
  // sluice convert --from clf --to json [--schema compact|ecs] [--unparsed raw|drop], or --from json --to clf
  std::string convert_from;
  std::string convert_to;
  std::string convert_schema = "compact";
  std::string convert_unparsed = "raw";
  std::vector<std::string> logs_args;  // `sluice logs ...`: parsed by logs_command.cc
};

// Parses the command line of shared/CONFIG.md. Errors are usage errors (exit 2).
Result<CliOptions> parseCli(const std::vector<std::string>& args);

std::string usageText();

}  // namespace sluice
