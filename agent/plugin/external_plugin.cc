#include "agent/plugin/external_plugin.h"

#include <dirent.h>
#include <dlfcn.h>
#include <sys/stat.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>
#include <utility>

#include "agent/config/yaml_support.h"
#include "agent/plugin/external_sink.h"
#include "agent/sink/sink_options.h"

namespace sluice {
namespace {

// Loaded libraries by real path, for the life of the process: descriptors and option tables point into them.
std::mutex gLoadedMu;
std::map<std::string, std::unique_ptr<ExternalPlugin>>& loaded() {
  static auto* libraries = new std::map<std::string, std::unique_ptr<ExternalPlugin>>();
  return *libraries;
}

bool validTypeName(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

bool validOptionName(std::string_view name) {
  if (name.empty() || name.front() == '.' || name.back() == '.' || name.find("..") != std::string_view::npos) {
    return false;
  }
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.' ||
              c == '-';
    if (!ok) return false;
  }
  return true;
}

// The C ABI's option types (sluice_plugin.h) and the agent's; a C plugin has no lists or maps.
constexpr std::pair<int, OptionType> kOptionTypes[] = {
    {SLUICE_OPTION_STRING, OptionType::String}, {SLUICE_OPTION_SECRET, OptionType::Secret},
    {SLUICE_OPTION_BOOL, OptionType::Bool},     {SLUICE_OPTION_INT, OptionType::Int},
    {SLUICE_OPTION_COUNT, OptionType::Count},   {SLUICE_OPTION_SIZE, OptionType::Size},
    {SLUICE_OPTION_DURATION, OptionType::Duration}, {SLUICE_OPTION_URL, OptionType::Url},
    {SLUICE_OPTION_ENUM, OptionType::Enum},
};

std::optional<OptionType> optionType(int type) {
  for (const auto& [abi, agent] : kOptionTypes) {
    if (abi == type) return agent;
  }
  return std::nullopt;
}

// The first segment of a dotted name ("batch" of "batch.linger").
std::string_view head(std::string_view name) { return name.substr(0, name.find('.')); }

// The plugin's option table, converted; "" or what is wrong with it.
std::string convertOptions(const sluice_sink_plugin& c, std::vector<OptionSpec>& out) {
  if (c.option_count > 0 && c.options == nullptr) return "option_count is " + std::to_string(c.option_count) + " but options is NULL";
  if (c.option_count > 1000) return "option_count " + std::to_string(c.option_count) + " is not plausible";
  std::vector<std::string_view> core_heads;
  for (const OptionSpec& s : coreSinkOptions()) core_heads.push_back(head(s.name));
  core_heads.push_back("type");
  for (size_t i = 0; i < c.option_count; ++i) {
    const sluice_option_spec& o = c.options[i];
    if (o.name == nullptr || !validOptionName(o.name)) {
      return "option " + std::to_string(i) + " has an invalid name" + (o.name ? std::string(" '") + o.name + "'" : "");
    }
    std::string_view name = o.name;
    if (std::find(core_heads.begin(), core_heads.end(), head(name)) != core_heads.end()) {
      return "option '" + std::string(name) + "' collides with the keys every sink has (name, enabled, message.*, "
             "batch.*, buffer.*, retry.*, max_in_flight, type)";
    }
    for (const OptionSpec& prev : out) {
      if (prev.name == name) return "option '" + std::string(name) + "' is declared twice";
      // "a" and "a.b" cannot both exist: "a" would have to be a value and a mapping at once.
      if (name.starts_with(std::string(prev.name) + ".") || prev.name.starts_with(std::string(name) + ".")) {
        return "options '" + std::string(prev.name) + "' and '" + std::string(name) + "' cannot both exist";
      }
    }
    std::optional<OptionType> type = optionType(o.type);
    if (!type) return "option '" + std::string(name) + "' has an unknown type " + std::to_string(o.type);
    OptionSpec spec{name, *type, std::nullopt, o.help != nullptr ? std::string_view(o.help) : std::string_view()};
    if (o.fallback != nullptr) spec.fallback = std::string_view(o.fallback);
    if (*type == OptionType::Enum) {
      if (o.choices == nullptr || o.choices[0] == '\0') return "enum option '" + std::string(name) + "' has no choices";
      spec.choices = o.choices;
    }
    out.push_back(spec);
  }
  // The defaults must parse as their types: parse a section that sets nothing.
  ConfigErrors errors;
  (void)parseOptions(YAML::Node(), Mark{}, {std::span<const OptionSpec>(out)}, errors);
  for (const std::string& m : errors.messages()) {
    if (m.find("the default of") != std::string::npos) return m;
  }
  return "";
}

Result<const PluginDescriptor*> load(const std::string& path) {
  char real[PATH_MAX];
  if (::realpath(path.c_str(), real) == nullptr) return makeError(path + ": " + std::strerror(errno), -errno);
  std::lock_guard<std::mutex> lock(gLoadedMu);
  auto& libs = loaded();
  if (auto it = libs.find(real); it != libs.end()) return &it->second->descriptor;

  // RTLD_LOCAL: a plugin's own symbols do not leak into the next one's.
  void* handle = ::dlopen(real, RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    const char* why = ::dlerror();
    return makeError(path + ": cannot load: " + (why != nullptr ? why : "unknown dlopen error"));
  }
  auto fail = [&](const std::string& why) -> Result<const PluginDescriptor*> {
    ::dlclose(handle);
    return makeError(path + ": " + why);
  };
  // The version first: nothing else of a library built for another ABI is touched.
  const auto* version = static_cast<const uint32_t*>(::dlsym(handle, SLUICE_PLUGIN_ABI_SYMBOL));
  if (version == nullptr) {
    return fail("not a Sluice plugin: the symbol " SLUICE_PLUGIN_ABI_SYMBOL
                " is missing (define the plugin with SLUICE_DEFINE_SINK_PLUGIN from agent/plugin/sluice_plugin.h)");
  }
  if (*version != SLUICE_PLUGIN_ABI_VERSION) {
    return fail("built for plugin ABI version " + std::to_string(*version) + ", but this sluice loads version " +
                std::to_string(SLUICE_PLUGIN_ABI_VERSION) + " (rebuild it against this version's sluice_plugin.h)");
  }
  auto entry = reinterpret_cast<sluice_plugin_entry_fn>(::dlsym(handle, SLUICE_PLUGIN_ENTRY_SYMBOL));
  if (entry == nullptr) {
    return fail("the symbol " SLUICE_PLUGIN_ENTRY_SYMBOL " is missing (define the plugin with SLUICE_DEFINE_SINK_PLUGIN)");
  }
  const sluice_sink_plugin* c = entry();
  if (c == nullptr) return fail(SLUICE_PLUGIN_ENTRY_SYMBOL "() returned NULL");
  if (c->abi_version != SLUICE_PLUGIN_ABI_VERSION) {
    return fail("its descriptor says ABI version " + std::to_string(c->abi_version) + ", but this sluice loads version " +
                std::to_string(SLUICE_PLUGIN_ABI_VERSION));
  }
  if (c->struct_size < sizeof(sluice_sink_plugin)) {
    return fail("its descriptor is " + std::to_string(c->struct_size) + " bytes, expected " +
                std::to_string(sizeof(sluice_sink_plugin)) + " (built against another sluice_plugin.h?)");
  }
  if (c->name == nullptr || !validTypeName(c->name)) {
    return fail("invalid type name" + (c->name ? std::string(" '") + c->name + "'" : std::string(" (NULL)")) +
                ": use lower case letters, digits, '_' and '-'");
  }
  const char* missing = c->create == nullptr    ? "create"
                        : c->deliver == nullptr ? "deliver"
                        : c->stop == nullptr    ? "stop"
                        : c->destroy == nullptr ? "destroy"
                                                : nullptr;
  if (missing != nullptr) return fail(std::string("plugin '") + c->name + "' has no " + missing + " function");

  auto plugin = std::make_unique<ExternalPlugin>();
  std::string bad = convertOptions(*c, plugin->options);
  if (!bad.empty()) return fail(std::string("plugin '") + c->name + "': " + bad);
  plugin->path = path;
  plugin->handle = handle;
  plugin->c = c;
  PluginDescriptor& d = plugin->descriptor;
  d.kind = PluginKind::Sink;
  d.name = c->name;
  d.help = c->help != nullptr ? c->help : "";
  d.options = plugin->options;
  d.validateWith = &validateExternal;
  d.createSink = &createExternalSink;
  d.context = plugin.get();
  const PluginDescriptor* out = &plugin->descriptor;
  libs.emplace(real, std::move(plugin));
  return out;
}

}  // namespace

Result<const PluginDescriptor*> loadExternalPlugin(const std::string& path) { return load(path); }

void loadPluginDirs(std::span<const std::string> dirs, PluginRegistry& registry, const Mark& where,
                    ConfigErrors& errors) {
  std::vector<std::string> seen;
  for (const std::string& dir : dirs) {
    DIR* d = ::opendir(dir.c_str());
    if (d == nullptr) {
      errors.add(where, "plugin_dirs: " + dir + ": " + std::strerror(errno));
      continue;
    }
    std::vector<std::string> files;
    while (struct dirent* e = ::readdir(d)) {
      std::string name = e->d_name;
      if (name.size() <= 3 || !name.ends_with(".so") || name.front() == '.') continue;
      std::string full = dir + (dir.ends_with("/") ? "" : "/") + name;
      struct stat st {};
      if (::stat(full.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
      files.push_back(std::move(full));
    }
    ::closedir(d);
    std::sort(files.begin(), files.end());
    for (const std::string& file : files) {
      auto descriptor = load(file);
      if (!descriptor) {
        errors.add(where, "plugin_dirs: " + descriptor.error().message);
        continue;
      }
      if (registry.find(PluginKind::Sink, (*descriptor)->name) == *descriptor) continue;  // listed twice
      Status st = registry.add(*descriptor, file);
      if (!st) errors.add(where, "plugin_dirs: " + st.error().message);
    }
  }
}

}  // namespace sluice
