#pragma once
// The whole configuration file (shared/CONFIG.md): the agent: section, sources and sinks, validated against the
// option tables of the core and of the source and sink plugins. Errors are collected, never thrown.
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "agent/admin/api_settings.h"
#include "agent/config/options.h"
#include "agent/plugin/plugin.h"
#include "agent/plugin/registry.h"
#include "agent/sink/sink_options.h"

namespace sluice {

struct AgentSettings {
  std::string hostname;  // as written, else the machine's hostname
  std::string state_dir;
  std::chrono::milliseconds shutdown_timeout{10000};
  std::string log_level;
  std::string log_format;  // text | json
  std::vector<std::string> plugin_dirs;
  uint64_t max_line_bytes = 64 * 1024;
};

struct SourceConfig {
  std::string name;
  std::string type;
  const PluginDescriptor* plugin = nullptr;
  std::shared_ptr<const PluginConfig> plugin_config;   // what the plugin's validation kept (null after errors)
  Mark mark;
  OptionValues values;  // commonSourceOptions() + the plugin's options
};

struct SinkConfig {
  SinkSettings settings;
  const PluginDescriptor* plugin = nullptr;
  std::shared_ptr<const PluginConfig> plugin_config;
  Mark mark;
  OptionValues values;  // coreSinkOptions() + plugin->options
};

struct AgentConfig {
  std::string file;
  AgentSettings agent;
  ApiSettings api;
  OptionValues agent_values;          // the agent: and api: sections as validated (`sluice check --show`)
  OptionValues api_values;
  OptionValues metrics_values;        // the metrics: section (its settings are api.metrics)
  std::string api_listen_key = "api.listen";  // what sets the API's address: "--api" in quick mode (for hints)
  std::vector<SourceConfig> sources;  // disabled ones included (values.boolean("enabled"))
  std::vector<SinkConfig> sinks;      // likewise (settings.enabled)
};

// Read and validate a file; nullopt when anything is wrong, every problem added to `errors` as
// "FILE:LINE:COL: message" (or "FILE: cannot read: ..." when the file cannot be read).
std::optional<AgentConfig> loadConfigFile(const std::string& path, const PluginRegistry& registry,
                                          ConfigErrors& errors);
std::optional<AgentConfig> loadConfigText(std::string_view yaml, const std::string& file_name,
                                          const PluginRegistry& registry, ConfigErrors& errors);

// The agent.plugin_dirs of a configuration file, read ahead of the rest so that the sink types they add are
// known when the sinks are validated. Problems with the file itself are left to the full load, which reports
// them; `where` receives the position of the key.
std::vector<std::string> pluginDirsOfConfigFile(const std::string& path, Mark* where);

// The agent: section's table.
std::span<const OptionSpec> agentOptions();
// The api: section's table.
std::span<const OptionSpec> apiOptions();

}  // namespace sluice
