#include "agent/app/quick_mode.h"

#include <yaml-cpp/yaml.h>

#include <map>

#include "agent/core/path.h"

namespace sluice {
namespace {

constexpr std::string_view kCommandLine = "(command line)";

// Literal text must not go through ${VAR} expansion.
std::string literal(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '$') out += '$';
    out += c;
  }
  return out;
}

std::string quoted(const std::string& s) {
  YAML::Emitter e;
  e << YAML::DoubleQuoted << literal(s);
  return e.c_str();
}

// The config quick mode writes, a key per line, and the flag behind each line: an error in a value then names the
// flag, and the config's own checks are the only ones.
class QuickYaml {
 public:
  // LEAD KEY: VALUE (VALUE as YAML text, "" for none).
  void add(std::string_view lead, std::string_view key, std::string_view value = {}, std::string flag = {}) {
    ++line_;
    text_ += std::string(lead) + std::string(key) + ":" + (value.empty() ? "" : " ") + std::string(value) + "\n";
    if (!flag.empty()) origins_[line_] = LineOrigin{std::move(flag), std::string(key)};
  }
  const std::string& text() const { return text_; }
  std::map<int, LineOrigin> origins() const { return origins_; }

 private:
  std::string text_;
  int line_ = 0;
  std::map<int, LineOrigin> origins_;
};

void addSource(const CliOptions& cli, QuickYaml& y) {
  y.add("", "sources");
  std::string name = cli.source_name;
  if (name.empty()) name = cli.exec.empty() ? "app" : std::string(baseName(cli.exec[0]));
  y.add("  - ", "name", quoted(name), cli.source_name.empty() ? "" : "--name");
  if (cli.exec.empty()) {
    y.add("    ", "type", "stdin");
  } else {
    y.add("    ", "type", "exec");
    std::string command = "[";
    for (const auto& a : cli.exec) command += (command.size() > 1 ? ", " : "") + quoted(a);
    y.add("    ", "command", command + "]", "-- CMD");
  }
  if (cli.tee) y.add("    ", "tee", "true", "--tee");
}

void addSink(const CliOptions& cli, QuickYaml& y) {
  y.add("", "sinks");
  if (cli.drain_url.empty()) {
    // With --config and -- CMD only, the file's sinks take the command's lines: this one is not used.
    y.add("  - ", "name", "placeholder");
    y.add("    ", "type", "stdout");
    return;
  }
  y.add("  - ", "name", "drain");
  y.add("    ", "type", "logplex_https");
  y.add("    ", "url", quoted(cli.drain_url), cli.drain_origin);
  if (!cli.buffer_mode.empty()) {
    y.add("    ", "buffer.mode", quoted(cli.buffer_mode), "--buffer");
    y.add("    ", "buffer.disk", std::string(kQuickSpoolSize), "--buffer");
  }
}

QuickYaml quickYaml(const CliOptions& cli) {
  QuickYaml y;
  y.add("", "agent");
  if (!cli.shutdown_timeout.empty()) {
    y.add("  ", "shutdown_timeout", quoted(cli.shutdown_timeout), "--shutdown-timeout");
  }
  if (!cli.state_dir.empty()) y.add("  ", "state_dir", quoted(cli.state_dir), "--state-dir");
  y.add("", "api");
  if (cli.api_listen) y.add("  ", "listen", quoted(*cli.api_listen), "--api");
  addSource(cli, y);
  addSink(cli, y);
  return y;
}

std::optional<AgentConfig> loadQuickYaml(const CliOptions& cli, const PluginRegistry& registry, ConfigErrors& errors) {
  QuickYaml y = quickYaml(cli);
  errors.setLineOrigins(std::string(kCommandLine), y.origins());
  std::optional<AgentConfig> config = loadConfigText(y.text(), std::string(kCommandLine), registry, errors);
  if (config) config->api_listen_key = "--api";
  return config;
}

}  // namespace

std::string quickModeYaml(const CliOptions& cli) { return quickYaml(cli).text(); }

std::optional<AgentConfig> loadRunConfig(const CliOptions& cli, const PluginRegistry& registry, ConfigErrors& errors) {
  if (cli.config_path.empty()) return loadQuickYaml(cli, registry, errors);
  std::optional<AgentConfig> config = loadConfigFile(cli.config_path, registry, errors);
  if (!config || (cli.drain_url.empty() && cli.exec.empty())) return config;
  std::optional<AgentConfig> added = loadQuickYaml(cli, registry, errors);
  if (!added) return std::nullopt;
  if (!cli.exec.empty()) config->sources.push_back(std::move(added->sources.front()));
  if (!cli.drain_url.empty()) {
    for (const SinkConfig& s : config->sinks) {
      if (s.settings.name == "drain") {
        errors.addPlain(cli.config_path + ": --drain adds a sink named 'drain', and the config already has one");
        return std::nullopt;
      }
    }
    config->sinks.push_back(std::move(added->sinks.front()));
  }
  return config;
}

}  // namespace sluice
