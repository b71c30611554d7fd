#include "agent/plugin/registry.h"

#include <algorithm>

namespace sluice {

Status PluginRegistry::add(const PluginDescriptor* descriptor, std::string origin) {
  auto clashes = [&](std::string_view type) -> const Entry* {
    for (const Entry& e : entries_) {
      if (e.descriptor->kind != descriptor->kind) continue;
      if (e.descriptor->name == type) return &e;
      for (std::string_view a : e.descriptor->aliases) {
        if (a == type) return &e;
      }
    }
    return nullptr;
  };
  std::vector<std::string_view> names{descriptor->name};
  names.insert(names.end(), descriptor->aliases.begin(), descriptor->aliases.end());
  for (std::string_view n : names) {
    if (const Entry* e = clashes(n)) {
      return makeError("plugin type '" + std::string(n) + "' from " + origin + " is already provided by " +
                       e->origin + " (plugin '" + std::string(e->descriptor->name) + "')");
    }
  }
  entries_.push_back(Entry{descriptor, std::move(origin)});
  return {};
}

const PluginDescriptor* PluginRegistry::find(PluginKind kind, std::string_view type) const {
  for (const Entry& e : entries_) {
    if (e.descriptor->kind != kind) continue;
    if (e.descriptor->name == type) return e.descriptor;
    for (std::string_view a : e.descriptor->aliases) {
      if (a == type) return e.descriptor;
    }
  }
  return nullptr;
}

std::vector<std::string> PluginRegistry::names(PluginKind kind) const {
  std::vector<std::string> out;
  for (const Entry& e : entries_) {
    if (e.descriptor->kind == kind) out.emplace_back(e.descriptor->name);
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<const PluginDescriptor*> PluginRegistry::all() const {
  std::vector<const PluginDescriptor*> out;
  for (const Entry& e : entries_) out.push_back(e.descriptor);
  return out;
}

}  // namespace sluice
