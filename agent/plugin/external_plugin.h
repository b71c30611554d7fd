#pragma once
// External sink plugins: shared objects found in agent.plugin_dirs, loaded with dlopen through the C ABI of
// sluice_plugin.h and wrapped into the same PluginDescriptor and SinkTransport as the built-in plugins, so the
// core (option tables, SinkRunner: batching, buffer, retries, acks) treats them alike.
#include <span>
#include <string>

#include "agent/config/options.h"
#include "agent/core/result.h"
#include "agent/plugin/plugin.h"
#include "agent/plugin/registry.h"

namespace sluice {

// Loads one library and checks it: the ABI version symbol first (nothing else in a library built for another
// version is called), then the entry point, the descriptor and its option table. Every error names the file.
// A library stays loaded until the process ends (its descriptor and option table are pointed to); loading the
// same file again returns the same descriptor.
Result<const PluginDescriptor*> loadExternalPlugin(const std::string& path);

// Loads every "*.so" file of each directory in `dirs` (in name order) and adds its descriptor to `registry`
// (a type name already taken is an error naming both). Errors go to `errors` at `where` (the plugin_dirs key).
void loadPluginDirs(std::span<const std::string> dirs, PluginRegistry& registry, const Mark& where,
                    ConfigErrors& errors);

}  // namespace sluice
