// libFuzzer target: the configuration file, loaded from bytes through the path `sluice check` takes (YAML,
// `${VAR}` expansion, the option tables of the agent, the sources and every built-in sink plugin, with their
// validation). It must never crash, read out of bounds, hang or throw; a config it refuses has at least one error
// and every error says where; one it accepts has a name, a type and a plugin for every part.
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>

#include "agent/app/agent_config.h"
#include "tests/fuzz/fuzz_check.h"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  sluice::fuzz::setCorpusEnv();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view yaml = sluice::fuzz::text(data, size);
  static const sluice::PluginRegistry registry = sluice::PluginRegistry::withBuiltins();
  sluice::ConfigErrors errors;
  std::optional<sluice::AgentConfig> config = sluice::loadConfigText(yaml, "fuzz.yaml", registry, errors);
  if (!config) {
    FUZZ_CHECK(!errors.empty());
    for (const std::string& e : errors.messages()) FUZZ_CHECK(e.starts_with("fuzz.yaml"));
    return 0;
  }
  FUZZ_CHECK(errors.empty());
  for (const sluice::SourceConfig& s : config->sources) FUZZ_CHECK(!s.name.empty() && !s.type.empty());
  for (const sluice::SinkConfig& s : config->sinks) FUZZ_CHECK(s.plugin != nullptr && s.plugin_config != nullptr);
  return 0;
}
