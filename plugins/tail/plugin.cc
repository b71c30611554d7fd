#include "agent/sources/source_options.h"
#include "plugins/tail/tail_options.h"
#include "plugins/tail/tail_source.h"

namespace sluice::plugins::tail {
namespace {

constexpr std::string_view kHelp =
    "follows files (and container logs) across rotations; checkpoints advance only as lines are delivered";

Result<std::unique_ptr<Source>> create(const PluginConfig& config, SourceContext& context) {
  return std::unique_ptr<Source>(
      std::make_unique<TailSource>(context.loop, context.router, std::move(context.info),
                                   tailOptionsFrom(sourceValues(config), context.max_line_bytes, context.state_dir)));
}

}  // namespace

extern const PluginDescriptor kTailSource =
    sourcePlugin("tail", kHelp, kTailOptions, &checkSourceValues<&validateTailOptions>, &create);

}  // namespace sluice::plugins::tail
