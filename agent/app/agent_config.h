#pragma once
// The whole configuration file (shared/CONFIG.md): the agent: section, sources and sinks, validated against the
// option tables of the core, the source types and the sink plugins. Errors are collected, never thrown.
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

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
  std::vector<std::string> plugin_dirs;
  uint64_t max_line_bytes = 64 * 1024;
};

// The api: section: the local admin API (health, metrics, recent logs, live streams, archive queries).
struct ApiSettings {
  std::string listen = "127.0.0.1:8089";  // "" turns the API off
  bool listen_set = false;                 // written in the file: failing to bind it is then fatal
  std::string token;                       // required as a Bearer token when set
  bool allow_remote = false;               // a non-loopback listen without a token is meant
  uint64_t max_connections = 128;          // past it, the connection waiting longest gives its place
  std::chrono::milliseconds idle_timeout{30000};
  std::chrono::milliseconds header_timeout{10000};
  uint64_t recent_lines = 10000;
  uint64_t recent_bytes = 4 << 20;
  bool archive = false;
  std::chrono::milliseconds retention_time{7LL * 24 * 3600 * 1000};
  uint64_t retention_bytes = 1ULL << 30;
  std::chrono::milliseconds unhealthy_after{60000};
  std::chrono::milliseconds keepalive{25000};
  uint64_t stream_buffer = 1 << 20;        // bytes queued for one live-stream client before it loses lines
  uint64_t max_clients = 64;               // live streams at once

  bool operator==(const ApiSettings&) const = default;
};

struct SourceConfig {
  std::string name;
  std::string type;
  Mark mark;
  OptionValues values;  // commonSourceOptions() + the type's options
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
  std::vector<SourceConfig> sources;  // disabled ones included (values.boolean("enabled"))
  std::vector<SinkConfig> sinks;      // likewise (settings.enabled)
};

// Read and validate a file; nullopt when anything is wrong, every problem added to `errors` as
// "FILE:LINE:COL: message" (or "FILE: cannot read: ..." when the file cannot be read).
std::optional<AgentConfig> loadConfigFile(const std::string& path, const PluginRegistry& registry,
                                          ConfigErrors& errors);
std::optional<AgentConfig> loadConfigText(std::string_view yaml, const std::string& file_name,
                                          const PluginRegistry& registry, ConfigErrors& errors);

// The agent: section's table.
std::span<const OptionSpec> agentOptions();
// The api: section's table.
std::span<const OptionSpec> apiOptions();

}  // namespace sluice
