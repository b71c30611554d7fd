#pragma once
// A plugin is a descriptor (no static constructors): kind, `type:` name, help, the declared options that drive
// validation and `sluice --help-plugin`, a pure validate and a create.
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "agent/config/options.h"
#include "agent/core/result.h"

namespace sluice {

class Loop;
class SinkTransport;

enum class PluginKind { Sink, Source };

// A plugin's validated configuration. Plugins derive their own.
class PluginConfig {
 public:
  virtual ~PluginConfig() = default;
  // What `{token}` expands to in the sink's message fields ("" when the sink has no token).
  virtual std::string token() const { return {}; }
};

struct SinkContext {
  Loop& loop;
  std::string name;              // the sink's name from the config
  size_t max_in_flight = 4;      // batches the core may hand over at once (a pool size for the transport)
};

struct PluginDescriptor {
  PluginKind kind = PluginKind::Sink;
  std::string_view name;                          // the `type:` value
  std::span<const std::string_view> aliases;      // other accepted `type:` values
  std::string_view help;
  std::span<const OptionSpec> options;            // the plugin's own keys (core keys are added by the core)
  // Pure: no I/O. Adds errors (with marks) and returns nullptr when the values cannot be used.
  std::unique_ptr<PluginConfig> (*validate)(const OptionValues& values, ConfigErrors& errors) = nullptr;
  Result<std::unique_ptr<SinkTransport>> (*createSink)(const PluginConfig& config, SinkContext& context) = nullptr;
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

}  // namespace sluice
