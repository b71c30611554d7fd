#include "agent/app/cli.h"

namespace sluice {

std::string usageText() {
  return R"(Usage:
  sluice [--config FILE]                 run the agent (default: ./sluice.yaml, else /etc/sluice/sluice.yaml)
  sluice --drain URL                     quick mode: stdin -> one HTTPS logplex drain, no config file
  sluice --drain URL -- CMD [ARG...]     quick mode: run CMD, forward its stdout and stderr, exit with its status
  sluice --config FILE --drain URL       the config's sources and sinks, plus the drain as a sink named "drain"
  sluice check --config FILE             validate a config: every error as FILE:LINE:COL: message; exit 2 on error
  sluice --help-plugin NAME              the options of a sink or source type
  sluice convert --from clf --to json    access-log lines on stdin -> NDJSON on stdout [--schema compact|ecs]
  sluice convert --from json --to clf    and back
  sluice logs [-n N] [--filter F] [-f] [--after T] [--before T] [-F text|raw|json|clf] [--api ADDR]
                                         read the running agent's logs through its admin API
  sluice health [--api ADDR]             the running agent's /healthz: exit 0 when healthy (container checks)
  sluice --version | --help

Options:
  -c, --config FILE      the YAML configuration
  -d, --drain URL        an HTTPS drain, token as basic-auth password: https://token:SECRET@host/logs
  -n, --name NAME        quick mode: the source's name (the PROCID; default "app", or the command's name)
  -l, --log-level LEVEL  trace, debug, info, warn, error, critical or off (overrides agent.log_level)

Exit codes: 0 ok, 1 runtime error or lost messages, 2 usage or config error, 127 the command cannot be started;
with -- the child's own status.
)";
}

namespace {

// sluice convert --from F --to T [--schema S] [--unparsed U]
Result<CliOptions> parseConvert(const std::vector<std::string>& args) {
  CliOptions o;
  o.command = CliOptions::Command::Convert;
  for (size_t i = 1; i < args.size(); ++i) {
    std::string flag = args[i];
    std::string value;
    if (size_t eq = flag.find('='); flag.rfind("--", 0) == 0 && eq != std::string::npos) {
      value = flag.substr(eq + 1);
      flag = flag.substr(0, eq);
    } else if (i + 1 < args.size()) {
      value = args[++i];
    } else {
      return Error{"convert: option " + flag + " needs a value"};
    }
    if (flag == "--from") {
      o.convert_from = value;
    } else if (flag == "--to") {
      o.convert_to = value;
    } else if (flag == "--schema") {
      o.convert_schema = value;
    } else if (flag == "--unparsed") {
      o.convert_unparsed = value;
    } else {
      return Error{"convert: unknown argument '" + flag + "'"};
    }
  }
  if (o.convert_from.empty() || o.convert_to.empty()) return Error{"convert needs --from and --to"};
  return o;
}

}  // namespace

Result<CliOptions> parseCli(const std::vector<std::string>& args) {
  if (!args.empty() && args[0] == "convert") return parseConvert(args);
  CliOptions o;
  size_t i = 0;
  if (!args.empty() && (args[0] == "logs" || args[0] == "health")) {
    o.command = args[0] == "logs" ? CliOptions::Command::Logs : CliOptions::Command::Health;
    o.logs_args.assign(args.begin() + 1, args.end());
    return o;
  }
  if (!args.empty() && args[0] == "check") {
    o.command = CliOptions::Command::Check;
    i = 1;
  }
  auto value = [&](const std::string& flag) -> Result<std::string> {
    if (i + 1 >= args.size()) return Error{"option " + flag + " needs a value"};
    return args[++i];
  };
  for (; i < args.size(); ++i) {
    const std::string& a = args[i];
    std::string flag = a;
    std::string inline_value;
    bool has_inline = false;
    if (a.rfind("--", 0) == 0 && a.find('=') != std::string::npos) {
      flag = a.substr(0, a.find('='));
      inline_value = a.substr(a.find('=') + 1);
      has_inline = true;
    }
    auto take = [&]() -> Result<std::string> { return has_inline ? Result<std::string>(inline_value) : value(flag); };
    if (a == "--") {
      o.exec.assign(args.begin() + static_cast<long>(i) + 1, args.end());
      if (o.exec.empty()) return Error{"-- must be followed by a command"};
      break;
    } else if (flag == "--config" || flag == "-c") {
      auto v = take();
      if (!v) return v.takeError();
      o.config_path = *v;
    } else if (flag == "--drain" || flag == "-d") {
      auto v = take();
      if (!v) return v.takeError();
      o.drain_url = *v;
    } else if (flag == "--name" || flag == "-n") {
      auto v = take();
      if (!v) return v.takeError();
      o.source_name = *v;
    } else if (flag == "--log-level" || flag == "-l") {
      auto v = take();
      if (!v) return v.takeError();
      o.log_level = *v;
    } else if (flag == "--help-plugin") {
      auto v = take();
      if (!v) return v.takeError();
      o.plugin = *v;
      o.command = CliOptions::Command::HelpPlugin;
    } else if (a == "--version" || a == "-V") {
      o.command = CliOptions::Command::Version;
    } else if (a == "--help" || a == "-h") {
      o.command = CliOptions::Command::Help;
    } else {
      return Error{"unknown argument '" + a + "'"};
    }
  }
  if (o.command == CliOptions::Command::Check && o.config_path.empty()) {
    return Error{"check needs --config FILE"};
  }
  if (!o.exec.empty() && o.drain_url.empty() && o.config_path.empty()) {
    return Error{"-- CMD needs --drain URL (or a --config with sinks)"};
  }
  return o;
}

}  // namespace sluice
