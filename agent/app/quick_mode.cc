#include "agent/app/quick_mode.h"

#include <yaml-cpp/yaml.h>

#include "agent/core/path.h"

namespace sluice {
namespace {

// Literal text must not go through ${VAR} expansion.
std::string literal(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '$') out += '$';
    out += c;
  }
  return out;
}

}  // namespace

std::string quickModeYaml(const CliOptions& cli) {
  YAML::Emitter e;
  e << YAML::BeginMap;
  {
    std::string name = cli.source_name;
    if (name.empty()) name = cli.exec.empty() ? "app" : std::string(baseName(cli.exec[0]));
    e << YAML::Key << "sources" << YAML::Value << YAML::BeginSeq << YAML::BeginMap;
    e << YAML::Key << "name" << YAML::Value << literal(name);
    if (cli.exec.empty()) {
      e << YAML::Key << "type" << YAML::Value << "stdin";
    } else {
      e << YAML::Key << "type" << YAML::Value << "exec";
      e << YAML::Key << "command" << YAML::Value << YAML::BeginSeq;
      for (const auto& a : cli.exec) e << YAML::DoubleQuoted << literal(a);
      e << YAML::EndSeq;
    }
    e << YAML::EndMap << YAML::EndSeq;
  }
  e << YAML::Key << "sinks" << YAML::Value << YAML::BeginSeq << YAML::BeginMap;
  if (!cli.drain_url.empty()) {
    e << YAML::Key << "name" << YAML::Value << "drain";
    e << YAML::Key << "type" << YAML::Value << "logplex_https";
    e << YAML::Key << "url" << YAML::Value << YAML::DoubleQuoted << literal(cli.drain_url);
  } else {
    e << YAML::Key << "name" << YAML::Value << "placeholder";
    e << YAML::Key << "type" << YAML::Value << "stdout";
  }
  e << YAML::EndMap << YAML::EndSeq;
  e << YAML::EndMap;
  return e.c_str();
}

}  // namespace sluice

namespace sluice {

std::optional<AgentConfig> loadRunConfig(const CliOptions& cli, const PluginRegistry& registry, ConfigErrors& errors) {
  if (cli.config_path.empty()) return loadConfigText(quickModeYaml(cli), "(command line)", registry, errors);
  std::optional<AgentConfig> config = loadConfigFile(cli.config_path, registry, errors);
  if (!config || (cli.drain_url.empty() && cli.exec.empty())) return config;
  std::optional<AgentConfig> added = loadConfigText(quickModeYaml(cli), "(command line)", registry, errors);
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
