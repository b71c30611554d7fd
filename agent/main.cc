// sluice: a log-drain forwarding agent. See README.md for the user's manual.
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>

#include "agent/app/agent.h"
#include "agent/app/cli.h"
#include "agent/app/completion.h"
#include "agent/app/man_page.h"
#include "agent/app/logs_command.h"
#include "agent/app/metrics_command.h"
#include "agent/app/quick_mode.h"
#include "agent/app/show_config.h"
#include "agent/app/agent_config.h"
#include "agent/core/fd_limit.h"
#include "agent/core/log.h"
#include "agent/core/log_setup.h"
#include "agent/core/units.h"
#include "agent/formats/json_log_formatter.h"
#include "agent/plugin/external_plugin.h"
#include "agent/plugin/registry.h"
#include "agent/sink/sink_options.h"
#include "agent/sources/source_options.h"
#include "agent/app/convert_command.h"

using namespace sluice;

namespace {

// A name may be a sink and a source both (kafka): both are shown.
int helpPlugin(const PluginRegistry& registry, const std::string& name) {
  const PluginDescriptor* sink = registry.find(PluginKind::Sink, name);
  const PluginDescriptor* source = registry.find(PluginKind::Source, name);
  if (sink != nullptr) {
    std::cout << "sink type '" << sink->name << "': " << sink->help << "\n\nOptions of this type:\n"
              << describeOptions(sink->options) << "\nOptions of every sink:\n"
              << describeOptions(coreSinkOptions());
  }
  if (source != nullptr) {
    std::cout << (sink != nullptr ? "\n" : "") << "source type '" << source->name << "': " << source->help
              << "\n\nOptions of this type:\n"
              << describeOptions(source->options) << "\nOptions of every source:\n"
              << describeOptions(commonSourceOptions());
  }
  if (sink != nullptr || source != nullptr) return kExitOk;
  std::cerr << "sluice: no sink or source type '" << name << "'. Sinks:";
  for (const auto& n : registry.names(PluginKind::Sink)) std::cerr << " " << n;
  std::cerr << ". Sources:";
  for (const auto& n : registry.names(PluginKind::Source)) std::cerr << " " << n;
  std::cerr << "\n";
  return kExitConfigError;
}

// The external sink plugins of the config's agent.plugin_dirs join the registry before the sinks are validated.
void addExternalPlugins(const std::string& config_path, PluginRegistry& registry, ConfigErrors& errors) {
  if (config_path.empty()) return;
  Mark where;
  std::vector<std::string> dirs = pluginDirsOfConfigFile(config_path, &where);
  loadPluginDirs(dirs, registry, where, errors);
}

// The config file when none is given: ./sluice.yaml, else /etc/sluice/sluice.yaml.
std::string defaultConfigPath() {
  for (const char* p : {"sluice.yaml", "/etc/sluice/sluice.yaml"}) {
    if (std::filesystem::exists(p)) return p;
  }
  return "";
}

// The commands that do not run the agent; nullopt for those that do (run, check).
std::optional<int> runCommand(const CliOptions& cli, PluginRegistry& registry) {
  switch (cli.command) {
    case CliOptions::Command::Help:
      std::cout << usageText();
      return kExitOk;
    case CliOptions::Command::Version:
      std::cout << "sluice " << SLUICE_VERSION << "\n";
#ifdef SLUICE_BUILD_NOTE
      std::cout << SLUICE_BUILD_NOTE << "\n";  // what a portable build leaves out
#endif
      return kExitOk;
    case CliOptions::Command::Man:
    case CliOptions::Command::Completion: {
      std::string text = cli.command == CliOptions::Command::Man
                             ? manPage(cli.generate == "1" ? 1 : cli.generate == "5" ? 5 : 0, registry)
                             : completionScript(cli.generate, registry);
      if (text.empty()) {
        std::cerr << "sluice: " << (cli.command == CliOptions::Command::Man ? "--man takes 1 or 5" : "--completion takes bash")
                  << ", not '" << cli.generate << "'\n";
        return kExitConfigError;
      }
      std::cout << text;
      return kExitOk;
    }
    case CliOptions::Command::Convert:
      // 0 ok, 1 lines that did not convert or an I/O error, 2 bad options: the agent's exit codes.
      return runConvert({cli.convert_from, cli.convert_to, cli.convert_schema, cli.convert_unparsed},
                                           STDIN_FILENO, STDOUT_FILENO, std::cerr);
    case CliOptions::Command::HelpPlugin: {
      ConfigErrors errors;  // --help-plugin TYPE --config FILE: the file's external plugins too
      addExternalPlugins(cli.config_path, registry, errors);
      if (!errors.empty()) std::cerr << errors.joined();
      return helpPlugin(registry, cli.plugin);
    }
    case CliOptions::Command::Logs: {
      Result<LogsOptions> logs = parseLogsArgs(cli.logs_args);
      if (!logs) {
        bool help = logs.error().message == "help";
        (help ? std::cout : std::cerr) << (help ? "" : "sluice logs: " + logs.error().message + "\n\n") << logsUsageText();
        return help ? kExitOk : kExitConfigError;
      }
      return runLogsCommand(*logs);
    }
    case CliOptions::Command::Health:
      return runHealthCommand(cli.logs_args);
    case CliOptions::Command::Metrics: {
      Result<MetricsOptions> m = parseMetricsArgs(cli.logs_args);
      if (!m) {
        bool help = m.error().message == "help";
        (help ? std::cout : std::cerr) << (help ? "" : "sluice metrics: " + m.error().message + "\n\n")
                                       << metricsUsageText();
        return help ? kExitOk : kExitConfigError;
      }
      return runMetricsCommand(*m);
    }
    default:
      return std::nullopt;
  }
}

// Runs the agent (or checks its configuration) until it ends; the process's exit code.
int runAgent(CliOptions& cli, PluginRegistry& registry) {
  if (cli.config_path.empty() && cli.drain_url.empty()) {
    cli.config_path = defaultConfigPath();
    if (cli.config_path.empty()) {
      std::cerr << "sluice: no configuration: give --config FILE or --drain URL (no ./sluice.yaml or "
                   "/etc/sluice/sluice.yaml found)\n\n"
                << usageText();
      return kExitConfigError;
    }
  }

  ConfigErrors errors;
  addExternalPlugins(cli.config_path, registry, errors);
  std::optional<AgentConfig> config = loadRunConfig(cli, registry, errors);
  if (!errors.empty()) config.reset();  // a plugin that does not load is an error even when no sink uses it
  if (cli.command == CliOptions::Command::Check) {
    if (!config) {
      std::cerr << errors.joined();
      return kExitConfigError;
    }
    if (cli.show) {
      std::cout << showConfig(*config, registry);
      return kExitOk;
    }
    std::cout << cli.config_path << ": ok (" << countOf(config->sources.size(), "source") << ", "
              << countOf(config->sinks.size(), "sink") << ")\n";
    for (const std::string& note : checkNotes(*config)) std::cout << note << "\n";
    return kExitOk;
  }
  if (!config) {
    std::cerr << errors.joined();
    return kExitConfigError;
  }
  std::string level = cli.log_level.empty() ? config->agent.log_level : cli.log_level;
  if (!setupLogging(level, logFormatter(config->agent.log_format))) {
    std::cerr << "sluice: unknown log level '" << level << "'\n";
    return kExitConfigError;
  }

  // Before any source opens a file: systemd's soft limit of 1,024 descriptors is far below its hard limit.
  FdLimit fds = raiseFdLimit();
  spdlog::debug("descriptor limit {} (soft limit at start {}, hard {})", fds.soft, fds.soft_before, fds.hard);

  int code;
  Loop loop;
  {
    Agent agent(loop, std::move(*config));
    if (!cli.config_path.empty()) {
      // SIGHUP reads the same files and flags again.
      agent.setReloader([&cli, &registry](ConfigErrors& e) { return loadRunConfig(cli, registry, e); });
    }
    if (auto failure = agent.start()) {
      spdlog::error("{}", failure->message);
      code = failure->exit_code;
    } else {
      loop.run();
      code = agent.exitCode();
    }
  }
  if (loop.close() != 0) spdlog::error("internal: the event loop did not close cleanly");
  spdlog::default_logger()->flush();
  return code;
}

}  // namespace

int main(int argc, char** argv) {
  std::signal(SIGPIPE, SIG_IGN);
  setupLogging("info");
  std::vector<std::string> args(argv + 1, argv + argc);
  Result<CliOptions> parsed = parseCli(args, std::getenv("SLUICE_DRAIN_URL"));
  if (!parsed) {
    std::cerr << "sluice: " << parsed.error().message << "\n\n" << usageText();
    return kExitConfigError;
  }
  CliOptions cli = std::move(*parsed);
  PluginRegistry registry = PluginRegistry::withBuiltins();
  if (std::optional<int> code = runCommand(cli, registry)) return *code;
  return runAgent(cli, registry);
}
