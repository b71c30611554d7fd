#include "plugins/file/config.h"

namespace sluice::plugins::file {
std::unique_ptr<PluginConfig> validateFile(const OptionValues& values, ConfigErrors& errors) {
  auto config = std::make_unique<FileConfig>();
  config->output.path = values.str("path");
  config->output.fsync = values.boolean("fsync");
  if (config->output.path.empty()) {
    errors.add(values.mark("path"), "path must not be empty (use type: stdout for standard output)");
    return nullptr;
  }
  return config;
}

std::unique_ptr<PluginConfig> validateStdout(const OptionValues&, ConfigErrors&) {
  return std::make_unique<FileConfig>();
}

}  // namespace sluice::plugins::file
