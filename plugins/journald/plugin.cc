#include "agent/sources/source_options.h"
#include "plugins/journald/journald_options.h"
#include "plugins/journald/journald_source.h"

namespace sluice::plugins::journald {
namespace {

constexpr std::string_view kHelp =
    "entries of the systemd journal (sd-journal): PRIORITY as severity, SYSLOG_IDENTIFIER (else _COMM) as APP-NAME, "
    "the entry's time as TIMESTAMP; a cursor saved only as entries are delivered";

Result<std::unique_ptr<Source>> create(const PluginConfig& config, SourceContext& context) {
  return std::unique_ptr<Source>(std::make_unique<JournaldSource>(
      context.loop, context.router, std::move(context.info),
      journaldOptionsFrom(sourceValues(config), context.max_line_bytes, context.state_dir)));
}

}  // namespace

extern const PluginDescriptor kJournaldSource =
    sourcePlugin("journald", kHelp, kJournaldOptions, &checkSourceValues<&validateJournaldOptions>, &create);

}  // namespace sluice::plugins::journald
