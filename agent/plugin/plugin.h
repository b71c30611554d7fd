#pragma once
// A plugin is a descriptor (no static constructors): kind, `type:` name, help, the declared options that drive
// validation and `sluice --help-plugin`, a pure validate and a create.
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "agent/config/options.h"
#include "agent/core/record.h"
#include "agent/core/result.h"

namespace sluice {

class Loop;
class Router;
class Source;
class SinkTransport;

enum class PluginKind { Sink, Source };

// A plugin's validated configuration. Plugins derive their own.
class PluginConfig {
 public:
  virtual ~PluginConfig() = default;
  // What `{token}` expands to in the sink's message fields ("" when the sink has no token).
  virtual std::string token() const { return {}; }
};

// A source plugin's configuration: the values as validated; the source reads them when it is created.
class SourceValues : public PluginConfig {
 public:
  explicit SourceValues(OptionValues values) : values(std::move(values)) {}
  OptionValues values;
};

struct SinkContext {
  Loop& loop;
  std::string name;              // the sink's name from the config
  size_t max_in_flight = 4;      // batches the core may hand over at once (a pool size for the transport)
};

// What the agent tells a source plugin when it creates one.
struct SourceContext {
  Loop& loop;
  Router& router;
  SourceInfo info;                   // its name and type
  size_t max_line_bytes = 0;         // the source's own, else agent.max_line_bytes
  std::string state_dir;             // agent.state_dir: where a source keeps its checkpoints
  bool every_sink_spools = false;    // every enabled sink has buffer.mode: always
  bool has_stdin_source = false;     // another source reads Sluice's stdin
};

using ValidateFn = std::unique_ptr<PluginConfig> (*)(const OptionValues& values, ConfigErrors& errors);
using CreateSinkFn = Result<std::unique_ptr<SinkTransport>> (*)(const PluginConfig& config, SinkContext& context);
using CreateSourceFn = Result<std::unique_ptr<Source>> (*)(const PluginConfig& config, SourceContext& context);

struct PluginDescriptor {
  PluginKind kind = PluginKind::Sink;
  std::string_view name;                          // the `type:` value
  std::span<const std::string_view> aliases;      // other accepted `type:` values
  std::string_view help;
  std::span<const OptionSpec> options;            // the plugin's own keys (core keys are added by the core)
  // Pure: no I/O. Adds errors (with marks) and returns nullptr when the values cannot be used.
  ValidateFn validate = nullptr;
  CreateSinkFn createSink = nullptr;
  // Sources: `config` is the SourceValues their validation returned. No I/O until Source::start().
  CreateSourceFn createSource = nullptr;
  // For plugins whose functions need their descriptor (external plugins: one C++ function serves every loaded
  // library): set instead of `validate`; `context` is theirs.
  std::unique_ptr<PluginConfig> (*validateWith)(const PluginDescriptor& self, const OptionValues& values,
                                                ConfigErrors& errors) = nullptr;
  const void* context = nullptr;
};

// Runs the descriptor's validation, whichever form it has; a plugin without one gets a plain PluginConfig.
inline std::unique_ptr<PluginConfig> validatePluginConfig(const PluginDescriptor& d, const OptionValues& values,
                                                          ConfigErrors& errors) {
  if (d.validateWith != nullptr) return d.validateWith(d, values, errors);
  if (d.validate != nullptr) return d.validate(values, errors);
  return std::make_unique<PluginConfig>();
}

// A built-in plugin's registration in one statement: only what differs between plugins is spelled out.
constexpr PluginDescriptor sinkPlugin(std::string_view name, std::string_view help, std::span<const OptionSpec> options,
                                      ValidateFn validate, CreateSinkFn create,
                                      std::span<const std::string_view> aliases = {}) {
  return {.kind = PluginKind::Sink, .name = name, .aliases = aliases, .help = help, .options = options,
          .validate = validate, .createSink = create};
}

constexpr PluginDescriptor sourcePlugin(std::string_view name, std::string_view help,
                                        std::span<const OptionSpec> options, ValidateFn validate,
                                        CreateSourceFn create) {
  return {.kind = PluginKind::Source, .name = name, .help = help, .options = options, .validate = validate,
          .createSource = create};
}

}  // namespace sluice
