#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "agent/core/result.h"

namespace sluice {

struct CliOptions {
  enum class Command { Run, Check, Version, Help, HelpPlugin, Convert, Logs, Health, Man, Completion, Metrics };
  Command command = Command::Run;
  std::string config_path;          // --config
  std::string drain_url;            // --drain, else $SLUICE_DRAIN_URL in quick mode
  std::string drain_origin = "--drain";  // where drain_url came from, for errors: "--drain" or "SLUICE_DRAIN_URL"
  std::vector<std::string> exec;    // after --
  std::string source_name;          // --name (quick mode)
  std::string log_level;            // --log-level
  // Quick mode: each becomes a key of the config it writes (api.listen, agent.shutdown_timeout, agent.state_dir,
  // the drain's buffer.mode and buffer.disk, the source's tee), so that the config's checks apply to them.
  std::optional<std::string> api_listen;   // --api ADDR ("" turns the API off)
  std::string shutdown_timeout;            // --shutdown-timeout D
  std::string buffer_mode;                 // --buffer always|overflow (needs --state-dir)
  std::string state_dir;                   // --state-dir DIR
  bool tee = false;                        // --tee
  bool show = false;                       // check --show
  std::string plugin;               // --help-plugin NAME
  // Hidden, for packaging: `--man 1|5` writes a manual page as roff, `--completion bash` the completion script.
  std::string generate;
  // sluice convert --from clf --to json [--schema compact|ecs] [--unparsed raw|drop], or --from json --to clf
  std::string convert_from;
  std::string convert_to;
  std::string convert_schema = "compact";
  std::string convert_unparsed = "raw";
  std::vector<std::string> logs_args;  // `sluice logs ...`: parsed by logs_command.cc
};

// Parses the command line of shared/CONFIG.md. Errors are usage errors (exit 2). `drain_from_env` is
// $SLUICE_DRAIN_URL (null when unset): the drain when neither --drain nor --config is given.
Result<CliOptions> parseCli(const std::vector<std::string>& args, const char* drain_from_env = nullptr);

// The spool size of the drain sink in quick mode with --buffer.
inline constexpr std::string_view kQuickSpoolSize = "1GiB";

std::string usageText();

// One argument of a command line: `--flag=value` is the flag and its value, anything else the flag alone.
struct CliArgument {
  std::string flag;
  std::optional<std::string> value;
};
CliArgument splitInlineValue(const std::string& arg);
// The flag's value: the inline one, else the next argument (moving `i` past it).
Result<std::string> flagValue(const CliArgument& arg, const std::vector<std::string>& args, size_t& i);

// The flags of the run and check commands as users type them, long and short (the hidden ones left out), and
// those of them that take a value: what shell completion offers.
std::vector<std::string> cliFlags();
std::vector<std::string> cliValueFlags();

}  // namespace sluice
