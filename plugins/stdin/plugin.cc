#include "agent/sources/source_options.h"
#include "plugins/stdin/stdin_source.h"

namespace sluice::plugins::stdin {
namespace {

constexpr std::string_view kHelp = "lines from standard input (a pipe, a file or a terminal)";

const OptionSpec kOptions[] = {
    {"severity", OptionType::Enum, "info", "severity of every line", kSeverityNames},
    {"tee", OptionType::Bool, "false", "also write every line to Sluice's own stdout as it is read"},
};

Result<std::unique_ptr<Source>> create(const PluginConfig& config, SourceContext& context) {
  const OptionValues& v = sourceValues(config);
  // When every sink spools before acknowledging, lines leave the stdin pipe only once they are on disk.
  return std::unique_ptr<Source>(std::make_unique<StdinSource>(context.loop, context.router, std::move(context.info),
                                                               severityOption(v, "severity", Severity::Info),
                                                               context.max_line_bytes, 0, context.every_sink_spools,
                                                               v.boolean("tee")));
}

}  // namespace

extern const PluginDescriptor kStdinSource = sourcePlugin("stdin", kHelp, kOptions, &keepSourceValues, &create);

}  // namespace sluice::plugins::stdin
