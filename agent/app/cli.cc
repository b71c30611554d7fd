#include "agent/app/cli.h"

namespace sluice {

std::string usageText() {
  return R"(Usage:
  sluice [--config FILE]                 run the agent (default: ./sluice.yaml, else /etc/sluice/sluice.yaml)
  sluice --drain URL                     quick mode: stdin -> one HTTPS logplex drain, no config file
  sluice --drain URL -- CMD [ARG...]     quick mode: run CMD, forward its stdout and stderr, exit with its status
  sluice --config FILE --drain URL       the config's sources and sinks, plus the drain as a sink named "drain"
  sluice check --config FILE             validate a config: every error as FILE:LINE:COL: message; exit 2 on error
  sluice check --config FILE --show      ... and print it as Sluice reads it (defaults, secrets as ****, tail matches)
  sluice --help-plugin NAME              the options of a sink or source type
  sluice convert --from clf --to json    access-log lines on stdin -> NDJSON on stdout [--schema compact|ecs]
  sluice convert --from json --to clf    and back
  sluice logs [-n N] [--filter F] [-f] [--after T] [--before T] [-F text|raw|json|clf] [--api ADDR]
                                         read the running agent's logs through its admin API
  sluice logs --session [--lines N] [--tail] [FILTER]
                                         create a log session: print a URL that reads the logs without the token
  sluice logs URL                        read a log session (follow it when it is a tail session)
  sluice health [--ready] [--api ADDR]   the running agent's /healthz (--ready: /readyz): exit 0 when healthy
  sluice metrics [--resolution R] [--from T] [--to T] [--api ADDR]
                                         what the app uses (CPU, memory, fds, disk): averages and p90
  sluice --version | --help

Options:
  -c, --config FILE      the YAML configuration
  -d, --drain URL        an HTTPS drain, token as basic-auth password: https://token:SECRET@host/logs
  -n, --name NAME        quick mode: the source's name (the PROCID; default "app", or the command's name)
  -l, --log-level LEVEL  trace, debug, info, warn, error, critical or off (overrides agent.log_level)

Quick mode (without --config; --tee and --buffer also apply to what --drain and -- CMD add to a --config):
  --api ADDR             the admin API's HOST:PORT (default 127.0.0.1:8089, port 0: any free port); "" turns it off
  --shutdown-timeout D   how long a stop may take to deliver what is queued: 5s, 1m (default 10s)
  --buffer MODE          spool the drain's batches (at most 1GiB) under --state-dir DIR: always (every batch, before
                         it is acknowledged) or overflow (when memory is full, and at shutdown)
  --state-dir DIR        where the spool lives; a restart with the same DIR delivers what it holds
  --tee                  also write each line to Sluice's own stdout (a command's stderr lines to stderr)
  SLUICE_DRAIN_URL       the drain when neither --drain nor --config is given: the token stays out of `ps`

Exit codes: 0 ok, 1 runtime error or lost messages, 2 usage or config error, 127 the command cannot be started;
with -- the child's own status.
)";
}

CliArgument splitInlineValue(const std::string& arg) {
  if (size_t eq = arg.find('='); arg.rfind("--", 0) == 0 && eq != std::string::npos) {
    return CliArgument{arg.substr(0, eq), arg.substr(eq + 1)};
  }
  return CliArgument{arg, std::nullopt};
}

Result<std::string> flagValue(const CliArgument& arg, const std::vector<std::string>& args, size_t& i) {
  if (arg.value) return *arg.value;
  if (i + 1 >= args.size()) return Error{"option " + arg.flag + " needs a value"};
  return args[++i];
}

namespace {

// sluice convert --from F --to T [--schema S] [--unparsed U]
Result<CliOptions> parseConvert(const std::vector<std::string>& args) {
  CliOptions o;
  o.command = CliOptions::Command::Convert;
  for (size_t i = 1; i < args.size(); ++i) {
    const CliArgument arg = splitInlineValue(args[i]);
    const std::string& flag = arg.flag;
    Result<std::string> taken = flagValue(arg, args, i);
    if (!taken) return Error{"convert: " + taken.error().message};
    const std::string& value = *taken;
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

// A flag that takes a value: how it is spelt and where the value goes.
struct ValueFlag {
  std::string_view name;
  std::string_view short_name;
  void (*set)(CliOptions& o, std::string value);
};

const ValueFlag kValueFlags[] = {
    {"--config", "-c", [](CliOptions& o, std::string v) { o.config_path = std::move(v); }},
    {"--drain", "-d", [](CliOptions& o, std::string v) { o.drain_url = std::move(v); }},
    {"--name", "-n", [](CliOptions& o, std::string v) { o.source_name = std::move(v); }},
    {"--log-level", "-l", [](CliOptions& o, std::string v) { o.log_level = std::move(v); }},
    {"--api", "", [](CliOptions& o, std::string v) { o.api_listen = std::move(v); }},
    {"--shutdown-timeout", "", [](CliOptions& o, std::string v) { o.shutdown_timeout = std::move(v); }},
    {"--buffer", "", [](CliOptions& o, std::string v) { o.buffer_mode = std::move(v); }},
    {"--state-dir", "", [](CliOptions& o, std::string v) { o.state_dir = std::move(v); }},
    {"--help-plugin", "",
     [](CliOptions& o, std::string v) {
       o.plugin = std::move(v);
       o.command = CliOptions::Command::HelpPlugin;
     }},
    // Hidden (not in the usage text, not completed): what the package build runs.
    {"--man", "",
     [](CliOptions& o, std::string v) {
       o.generate = std::move(v);
       o.command = CliOptions::Command::Man;
     }},
    {"--completion", "",
     [](CliOptions& o, std::string v) {
       o.generate = std::move(v);
       o.command = CliOptions::Command::Completion;
     }},
};

bool hiddenFlag(std::string_view flag) { return flag == "--man" || flag == "--completion"; }

// The flags without a value, as the parser below spells them.
constexpr std::string_view kPlainFlags[] = {"--tee", "--show", "--version", "-V", "--help", "-h"};

const ValueFlag* findValueFlag(std::string_view flag) {
  for (const ValueFlag& f : kValueFlags) {
    if (flag == f.name || (!f.short_name.empty() && flag == f.short_name)) return &f;
  }
  return nullptr;
}

// The flags that only quick mode's config can hold: with --config, the file says these things.
Status checkQuickModeFlags(const CliOptions& o) {
  if (!o.config_path.empty()) {
    if (o.api_listen) return Error{"--api is for quick mode; with --config, set api.listen in the file"};
    if (!o.shutdown_timeout.empty()) {
      return Error{"--shutdown-timeout is for quick mode; with --config, set agent.shutdown_timeout in the file"};
    }
    if (!o.state_dir.empty()) return Error{"--state-dir is for quick mode; with --config, set agent.state_dir in the file"};
    if (!o.buffer_mode.empty() && o.drain_url.empty()) return Error{"--buffer applies to the drain of --drain URL"};
    if (o.tee && o.exec.empty()) return Error{"--tee applies to quick mode's stdin or to -- CMD"};
  } else if (!o.buffer_mode.empty() && o.state_dir.empty()) {
    return Error{"--buffer needs --state-dir DIR: the drain's spool lives there (under spool/drain), and a restart "
                 "with the same DIR delivers what it holds"};
  }
  if (o.show && o.command != CliOptions::Command::Check) return Error{"--show goes with check: sluice check --config FILE --show"};
  return {};
}

// What follows the flags: the drain from the environment, and the combinations that do not make sense.
Result<CliOptions> finishCli(CliOptions o, const char* drain_from_env) {
  if (o.command == CliOptions::Command::Check && o.config_path.empty()) {
    return Error{"check needs --config FILE"};
  }
  if (o.command == CliOptions::Command::Run && o.drain_url.empty() && o.config_path.empty() &&
      drain_from_env != nullptr && *drain_from_env != '\0') {
    o.drain_url = drain_from_env;
    o.drain_origin = "SLUICE_DRAIN_URL";
  }
  if (!o.exec.empty() && o.drain_url.empty() && o.config_path.empty()) {
    return Error{"-- CMD needs --drain URL or SLUICE_DRAIN_URL (or a --config with sinks)"};
  }
  if (Status st = checkQuickModeFlags(o); !st) return st.takeError();
  return o;
}

}  // namespace

std::vector<std::string> cliValueFlags() {
  std::vector<std::string> out;
  for (const ValueFlag& f : kValueFlags) {
    if (hiddenFlag(f.name)) continue;
    out.emplace_back(f.name);
    if (!f.short_name.empty()) out.emplace_back(f.short_name);
  }
  return out;
}

std::vector<std::string> cliFlags() {
  std::vector<std::string> out = cliValueFlags();
  out.insert(out.end(), std::begin(kPlainFlags), std::end(kPlainFlags));
  return out;
}

Result<CliOptions> parseCli(const std::vector<std::string>& args, const char* drain_from_env) {
  if (!args.empty() && args[0] == "convert") return parseConvert(args);
  CliOptions o;
  size_t i = 0;
  if (!args.empty() && (args[0] == "logs" || args[0] == "health" || args[0] == "metrics")) {
    o.command = args[0] == "logs"     ? CliOptions::Command::Logs
                : args[0] == "health" ? CliOptions::Command::Health
                                      : CliOptions::Command::Metrics;
    o.logs_args.assign(args.begin() + 1, args.end());
    return o;
  }
  if (!args.empty() && args[0] == "check") {
    o.command = CliOptions::Command::Check;
    i = 1;
  }
  for (; i < args.size(); ++i) {
    const std::string& a = args[i];
    CliArgument arg = splitInlineValue(a);
    const std::string& flag = arg.flag;
    if (a == "--") {
      o.exec.assign(args.begin() + static_cast<long>(i) + 1, args.end());
      if (o.exec.empty()) return Error{"-- must be followed by a command"};
      break;
    } else if (const ValueFlag* f = findValueFlag(flag)) {
      Result<std::string> value = flagValue(arg, args, i);
      if (!value) return value.takeError();
      f->set(o, std::move(*value));
    } else if (a == "--tee") {
      o.tee = true;
    } else if (a == "--show") {
      o.show = true;
    } else if (a == "--version" || a == "-V") {
      o.command = CliOptions::Command::Version;
    } else if (a == "--help" || a == "-h") {
      o.command = CliOptions::Command::Help;
    } else {
      return Error{"unknown argument '" + a + "'"};
    }
  }
  return finishCli(std::move(o), drain_from_env);
}

}  // namespace sluice
