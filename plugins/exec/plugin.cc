#include "agent/sources/source_options.h"
#include "plugins/exec/exec_source.h"

namespace sluice::plugins::exec {
namespace {

constexpr std::string_view kHelp = "runs a program and collects its stdout and stderr; Sluice exits with its status";

const OptionSpec kOptions[] = {
    {"command", OptionType::StringList, kRequired, "the program and its arguments, e.g. [\"/app/server\", \"--port\", \"8080\"]"},
    {"env", OptionType::StringMap, "{}", "variables added to the child's environment"},
    {"working_dir", OptionType::String, "", "the child's working directory (default: Sluice's)"},
    {"stdout_severity", OptionType::Enum, "info", "severity of lines the child writes to stdout", kSeverityNames},
    {"stderr_severity", OptionType::Enum, "err", "severity of lines the child writes to stderr", kSeverityNames},
    {"tee", OptionType::Bool, "false", "also write the child's lines to Sluice's own stdout and stderr as they are read"},
};

Result<std::unique_ptr<Source>> create(const PluginConfig& config, SourceContext& context) {
  const OptionValues& v = sourceValues(config);
  ExecOptions o;
  o.command = v.list("command");
  o.env = v.map("env");
  o.working_dir = v.str("working_dir");
  o.stdout_severity = severityOption(v, "stdout_severity", Severity::Info);
  o.stderr_severity = severityOption(v, "stderr_severity", Severity::Error);
  o.tee = v.boolean("tee");
  // Sluice's stdin goes to the child unless a stdin source reads it.
  o.inherit_stdin = !context.has_stdin_source;
  return std::unique_ptr<Source>(std::make_unique<ExecSource>(context.loop, context.router, std::move(context.info),
                                                              std::move(o), context.max_line_bytes));
}

}  // namespace

extern const PluginDescriptor kExecSource = sourcePlugin("exec", kHelp, kOptions, &keepSourceValues, &create);

}  // namespace sluice::plugins::exec
