#pragma once
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "agent/core/result.h"
#include "agent/plugin/plugin.h"

namespace sluice {

// The built-in descriptors, listed by CMake (generated builtin_plugins.cc).
std::span<const PluginDescriptor* const> builtinPlugins();

class PluginRegistry {
 public:
  // The built-in plugins plus the core's own sources.
  static PluginRegistry withBuiltins();

  // Adds a descriptor; a name or alias already taken is an error naming both origins.
  Status add(const PluginDescriptor* descriptor, std::string origin);
  const PluginDescriptor* find(PluginKind kind, std::string_view type) const;
  std::vector<std::string> names(PluginKind kind) const;  // canonical names, sorted
  std::vector<const PluginDescriptor*> all() const;

 private:
  struct Entry {
    const PluginDescriptor* descriptor;
    std::string origin;
  };
  std::vector<Entry> entries_;
};

}  // namespace sluice
