#pragma once
#include <span>
#include <string>

#include "agent/plugin/plugin.h"
#include "agent/sink/file_output.h"

namespace sluice::plugins::file {

struct FileConfig : PluginConfig {
  FileOutputOptions output;
};

inline constexpr OptionSpec kFileOptions[] = {
    {"path", OptionType::String, kRequired, "the file the frames are appended to (reopened on SIGHUP)"},
    {"fsync", OptionType::Bool, "false", "fsync after every batch"},
};

std::unique_ptr<PluginConfig> validateFile(const OptionValues& values, ConfigErrors& errors);
std::unique_ptr<PluginConfig> validateStdout(const OptionValues& values, ConfigErrors& errors);

}  // namespace sluice::plugins::file
