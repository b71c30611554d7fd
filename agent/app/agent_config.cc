#include "agent/app/agent_config.h"

#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>

#include "agent/buffer/spool_io.h"
#include "agent/app/metrics_config.h"
#include "agent/config/env.h"
#include "agent/config/yaml_support.h"
#include "agent/core/listen_address.h"
#include "agent/core/url.h"
#include "agent/pipeline/source_selector.h"
#include "agent/sources/source_options.h"

namespace sluice {
namespace {

const OptionSpec kAgentOptions[] = {
    {"hostname", OptionType::String, "", "RFC 5424 HOSTNAME of every message (default: the machine's hostname)"},
    {"state_dir", OptionType::String, "/var/lib/sluice", "where spools and checkpoints live"},
    {"shutdown_timeout", OptionType::Duration, "10s", "how long a stop may take to drain the queues before spooling"},
    {"log_level", OptionType::Enum, "info", "the agent's own log (stderr)", "trace|debug|info|warn|error|critical|off"},
    {"log_format", OptionType::Enum, "text", "the agent's own log: text lines, or one JSON object per line", "text|json"},
    {"plugin_dirs", OptionType::StringList, "[]", "directories searched for external sink plugins (.so)"},
    {"max_line_bytes", OptionType::Size, "64KiB", "longer lines are split into several messages (1KiB to 16MiB)"},
};

const OptionSpec kApiOptions[] = {
    {"listen", OptionType::String, "127.0.0.1:8089", "the admin API's HOST:PORT; \"\" turns it off"},
    {"token", OptionType::Secret, "", "when set, every request must carry 'Authorization: Bearer TOKEN'"},
    {"allow_remote", OptionType::Bool, "false", "true: listen on a non-loopback address without a token (anyone who reaches it reads the logs)"},
    {"max_connections", OptionType::Count, "128", "connections at once; past it a new one takes the place of the one idle longest, so health checks always get in"},
    {"idle_timeout", OptionType::Duration, "30s", "an idle keep-alive connection is closed after this long"},
    {"header_timeout", OptionType::Duration, "10s", "a request must arrive whole within this long (slow clients get 408)"},
    {"recent_lines", OptionType::Count, "10000", "lines kept in memory for /logs?n= and live streams"},
    {"recent_bytes", OptionType::Size, "2MiB", "bytes those lines may take (the oldest go first)"},
    {"archive", OptionType::Bool, "false", "true: keep received lines under state_dir/archive/ for after/before queries"},
    {"retention.time", OptionType::Duration, "7d", "archived lines older than this are deleted"},
    {"retention.bytes", OptionType::Size, "1GiB", "the archive's size limit (the oldest hours go first)"},
    {"unhealthy_after", OptionType::Duration, "60s", "/healthz answers 503 once a sink has failed for this long"},
    {"keepalive", OptionType::Duration, "25s", "interval of ping events on live streams"},
    {"stream_buffer", OptionType::Size, "1MiB", "bytes queued for one live-stream client; a slower client loses lines (counted)"},
    {"max_clients", OptionType::Count, "64", "live-stream clients at once"},
    {"public_url", OptionType::String, "", "the base of log-session URLs when the API is published behind a proxy (https://logs.example.com); default http://<listen>"},
    {"sessions.ttl", OptionType::Duration, "1h", "a log session's URL works this long (a stream on it lasts while its client stays)"},
    {"sessions.max", OptionType::Count, "64", "log sessions at once; more are answered 429"},
};

constexpr std::array<std::string_view, 5> kTopLevelKeys = {"agent", "api", "metrics", "sinks", "sources"};

std::string machineHostname() {
  char buf[256] = {};
  if (gethostname(buf, sizeof(buf) - 1) != 0 || buf[0] == '\0') return "localhost";
  return buf;
}

// The first value under `key` in a mapping (without yaml-cpp's operator[], which may throw or insert).
YAML::Node findKey(const YAML::Node& map, std::string_view key, YAML::Node* key_node = nullptr) {
  for (auto it = map.begin(); it != map.end(); ++it) {
    if (it->first.IsScalar() && it->first.Scalar() == key) {
      if (key_node) *key_node = it->first;
      return it->second;
    }
  }
  return YAML::Node(YAML::NodeType::Undefined);
}

class Loader {
 public:
  Loader(std::string file, const PluginRegistry& registry, ConfigErrors& errors)
      : file_(std::move(file)), registry_(registry), errors_(errors) {}

  void load(const YAML::Node& root, AgentConfig& config) {
    config.file = file_;
    Mark start{file_, 1, 1};
    YAML::Node agent, api, metrics, sources, sinks;
    Mark agent_mark = start, api_mark = start, metrics_mark = start, sources_mark = start, sinks_mark = start;
    if (root.IsDefined() && !root.IsNull()) {
      if (!root.IsMap()) {
        errors_.add(markOr(root, file_, start), "the configuration must be a mapping with the keys agent, "
                                                "sources and sinks, not " + std::string(nodeKindName(root)));
        return;
      }
      std::map<std::string, Mark> seen;
      for (auto it = root.begin(); it != root.end(); ++it) {
        // Copies: yaml-cpp's iterator hands out a temporary pair, so references would dangle.
        YAML::Node key_node = it->first;
        YAML::Node value = it->second;
        Mark key_mark = markOr(key_node, file_, start);
        if (!key_node.IsScalar()) {
          errors_.add(key_mark, "a key must be a plain name, not " + std::string(nodeKindName(key_node)));
          continue;
        }
        std::string key = key_node.Scalar();
        if (auto [pos, fresh] = seen.emplace(key, key_mark); !fresh) {
          errors_.add(key_mark, "duplicate key '" + key + "' (first at " + formatMark(pos->second) + ")");
          continue;
        }
        Mark value_mark = markOr(value, file_, key_mark);
        if (key == "agent") {
          agent = value;
          agent_mark = value_mark;
        } else if (key == "api") {
          api = value;
          api_mark = value_mark;
        } else if (key == "metrics") {
          metrics = value;
          metrics_mark = value_mark;
        } else if (key == "sources") {
          sources = value;
          sources_mark = key_mark;
        } else if (key == "sinks") {
          sinks = value;
          sinks_mark = key_mark;
        } else {
          std::vector<std::string> valid(kTopLevelKeys.begin(), kTopLevelKeys.end());
          std::string near = nearestName(key, valid);
          errors_.add(key_mark, "unknown key '" + key + "'" +
                                    (near.empty() ? " (valid keys: " + joinNames(valid) + ")"
                                                  : " (did you mean '" + near + "'?)"));
        }
      }
    }
    config.agent_values = loadAgent(agent, agent_mark, config.agent);
    config.api_values = loadApi(api, api_mark, config.api);
    config.metrics_values = loadMetrics(metrics, metrics_mark, config.api.metrics);
    size_t enabled_sources = loadSources(sources, sources_mark, config.sources);
    size_t enabled_sinks = loadSinks(sinks, sinks_mark, config.sinks);
    if (enabled_sources == 0) errors_.add(sources_mark, "no sources configured");
    if (enabled_sinks == 0) errors_.add(sinks_mark, "no sinks configured");
    checkRoutes(config);
  }

 private:
  // The options of the section `key` (all defaults when it is absent); nullopt, reported, when it is no mapping.
  std::optional<OptionValues> mappingOptions(const YAML::Node& node, const Mark& mark, std::string_view key,
                                             std::span<const OptionSpec> table) {
    if (node.IsDefined() && !node.IsNull() && !node.IsMap()) {
      errors_.add(mark, "key '" + std::string(key) + "' must be a mapping");
      return std::nullopt;
    }
    return parseOptions(node, mark, {table}, errors_);
  }

  OptionValues loadAgent(const YAML::Node& node, const Mark& mark, AgentSettings& out) {
    std::optional<OptionValues> section = mappingOptions(node, mark, "agent", agentOptions());
    if (!section) return {};
    OptionValues& v = *section;
    out.hostname = v.str("hostname");
    if (out.hostname.empty()) out.hostname = machineHostname();
    out.state_dir = v.str("state_dir");
    out.shutdown_timeout = v.duration("shutdown_timeout");
    out.log_level = v.str("log_level");
    out.log_format = v.str("log_format");
    out.plugin_dirs = v.list("plugin_dirs");
    out.max_line_bytes = v.size("max_line_bytes");
    if (v.isSet("max_line_bytes") && (out.max_line_bytes < 1024 || out.max_line_bytes > (16u << 20))) {
      errors_.add(v.mark("max_line_bytes"), "max_line_bytes must be between 1KiB and 16MiB");
    }
    return std::move(v);
  }

  OptionValues loadApi(const YAML::Node& node, const Mark& mark, ApiSettings& out) {
    std::optional<OptionValues> section = mappingOptions(node, mark, "api", apiOptions());
    if (!section) return {};
    OptionValues& v = *section;
    out.listen = v.str("listen");
    out.listen_set = v.isSet("listen");
    out.token = v.str("token");
    out.recent_lines = v.count("recent_lines");
    out.recent_bytes = v.size("recent_bytes");
    out.archive = v.boolean("archive");
    out.retention_time = v.duration("retention.time");
    out.retention_bytes = v.size("retention.bytes");
    out.unhealthy_after = v.duration("unhealthy_after");
    out.keepalive = v.duration("keepalive");
    out.stream_buffer = v.size("stream_buffer");
    out.max_clients = v.count("max_clients");
    out.allow_remote = v.boolean("allow_remote");
    out.max_connections = v.count("max_connections");
    out.idle_timeout = v.duration("idle_timeout");
    out.header_timeout = v.duration("header_timeout");
    loadSessions(v, out);
    if (!out.listen.empty()) {
      Result<ListenAddress> addr = parseListenAddress(out.listen);
      if (!addr) {
        errors_.add(v.mark("listen"), "listen: " + addr.error().message + ", or \"\" to turn the API off");
      } else if (!addr->loopback() && out.token.empty() && !out.allow_remote) {
        errors_.add(v.mark("listen"), "listen: " + out.listen + " is reachable from other machines and api.token is "
                                      "not set: anyone could read the logs. Set api.token, listen on 127.0.0.1, "
                                      "or set api.allow_remote: true if that is meant");
      }
    }
    if (out.max_connections < 8) errors_.add(v.mark("max_connections"), "max_connections must be at least 8");
    if (out.idle_timeout.count() < 100) errors_.add(v.mark("idle_timeout"), "idle_timeout must be at least 100ms");
    if (out.header_timeout.count() < 100) errors_.add(v.mark("header_timeout"), "header_timeout must be at least 100ms");
    if (out.recent_bytes < 64 * 1024) errors_.add(v.mark("recent_bytes"), "recent_bytes must be at least 64KiB");
    if (out.keepalive.count() < 10) errors_.add(v.mark("keepalive"), "keepalive must be at least 10ms");
    if (out.stream_buffer < 4096) errors_.add(v.mark("stream_buffer"), "stream_buffer must be at least 4KiB");
    return std::move(v);
  }

  void loadSessions(const OptionValues& v, ApiSettings& out) {
    out.public_url = v.str("public_url");
    out.session_ttl = v.duration("sessions.ttl");
    out.max_sessions = v.count("sessions.max");
    if (out.session_ttl.count() < 100) errors_.add(v.mark("sessions.ttl"), "sessions.ttl must be at least 100ms");
    if (!out.public_url.empty()) {
      Result<ParsedUrl> url = parseUrl(out.public_url);
      if (!url || (url->scheme != "http" && url->scheme != "https") || url->has_password ||
          out.public_url.find_first_of("?#") != std::string::npos) {
        errors_.add(v.mark("public_url"), "public_url must be an http:// or https:// URL without a query (such "
                                          "as https://logs.example.com), not '" + out.public_url + "'");
      }
    }
  }

  OptionValues loadMetrics(const YAML::Node& node, const Mark& mark, AppMetricsSettings& out) {
    std::optional<OptionValues> section = mappingOptions(node, mark, "metrics", metricsOptions());
    if (!section) return {};
    readMetricsSettings(*section, out, errors_);
    return std::move(*section);
  }

  // Checks that a list entry is a mapping with a usable `type:`; returns the (expanded) type or "".
  std::string entryType(const YAML::Node& item, const Mark& item_mark, std::string_view what) {
    if (!item.IsMap()) {
      errors_.add(item_mark, "each " + std::string(what) + " must be a mapping with 'name' and 'type', not " +
                                 std::string(nodeKindName(item)));
      return {};
    }
    YAML::Node key;
    YAML::Node type = findKey(item, "type", &key);
    if (!type.IsDefined()) {
      errors_.add(item_mark, "missing required key 'type'");
      return {};
    }
    Mark type_mark = markOr(type, file_, item_mark);
    if (!type.IsScalar()) {
      errors_.add(type_mark, "'type' must be a string, not " + std::string(nodeKindName(type)));
      return {};
    }
    Result<std::string> text = expandEnv(type.Scalar());
    if (!text) {
      errors_.add(type_mark, "type: " + text.error().message);
      return {};
    }
    if (text->empty()) errors_.add(type_mark, "'type' must not be empty");
    return *text;
  }

  bool sequenceOf(const YAML::Node& node, const Mark& mark, std::string_view key) {
    if (!node.IsDefined() || node.IsNull()) return false;
    if (!node.IsSequence()) {
      errors_.add(markOr(node, file_, mark), "key '" + std::string(key) + "' must be a list, not " +
                                                 std::string(nodeKindName(node)));
      return false;
    }
    return true;
  }

  std::string unknownType(std::string_view what, const std::string& type, std::vector<std::string> valid,
                          const std::vector<std::string>& also_accepted) {
    std::vector<std::string> candidates = valid;
    candidates.insert(candidates.end(), also_accepted.begin(), also_accepted.end());
    std::string near = nearestName(type, candidates);
    std::string msg = "unknown " + std::string(what) + " type '" + type + "'";
    if (!near.empty()) msg += " (did you mean '" + near + "'?)";
    return msg + "; valid types: " + joinNames(valid);
  }

  // Names must be unique within their list; returns false (after reporting) on a repeat.
  bool uniqueName(std::map<std::string, Mark>& seen, const OptionValues& v, std::string_view what) {
    if (!v.isSet("name")) return true;  // missing or invalid: reported already
    const std::string& name = v.str("name");
    if (name.empty()) {
      errors_.add(v.mark("name"), std::string(what) + " name must not be empty");
      return false;
    }
    auto [pos, fresh] = seen.emplace(name, v.mark("name"));
    if (!fresh) {
      errors_.add(v.mark("name"), "duplicate " + std::string(what) + " name '" + name + "' (first at " +
                                      formatMark(pos->second) + ")");
    }
    return fresh;
  }

  // Each entry of the `sources` or `sinks` list whose type names a plugin of `kind`, handed to
  // load(item, item_mark, plugin) -> whether it is enabled; an entry without a type, or of an unknown one, is
  // reported and left out. Returns how many are enabled.
  template <class Load>
  size_t loadEntries(const YAML::Node& node, const Mark& mark, PluginKind kind,
                     const std::vector<std::string>& aliases, Load&& load) {
    const std::string_view what = kind == PluginKind::Source ? "source" : "sink";
    if (!sequenceOf(node, mark, kind == PluginKind::Source ? "sources" : "sinks")) return 0;
    size_t enabled = 0;
    for (const YAML::Node& item : node) {
      Mark item_mark = markOr(item, file_, mark);
      std::string type = entryType(item, item_mark, what);
      if (type.empty()) continue;
      const PluginDescriptor* plugin = registry_.find(kind, type);
      if (plugin == nullptr) {
        errors_.add(markOr(findKey(item, "type"), file_, item_mark),
                    unknownType(what, type, registry_.names(kind), aliases));
        continue;
      }
      if (load(item, item_mark, plugin)) ++enabled;
    }
    return enabled;
  }

  size_t loadSources(const YAML::Node& node, const Mark& mark, std::vector<SourceConfig>& out) {
    std::map<std::string, Mark> seen;
    auto load = [&](const YAML::Node& item, const Mark& item_mark, const PluginDescriptor* plugin) {
      SourceConfig sc;
      const size_t errors_before = errors_.size();
      sc.values = parseOptions(item, item_mark, {commonSourceOptions(), plugin->options}, errors_, {"type"});
      if (errors_.size() == errors_before) sc.plugin_config = validatePluginConfig(*plugin, sc.values, errors_);
      sc.plugin = plugin;
      sc.name = sc.values.str("name");
      sc.type = std::string(plugin->name);
      sc.mark = item_mark;
      uniqueName(seen, sc.values, "source");
      const bool enabled = sc.values.boolean("enabled");
      out.push_back(std::move(sc));
      return enabled;
    };
    return loadEntries(node, mark, PluginKind::Source, {}, load);
  }

  size_t loadSinks(const YAML::Node& node, const Mark& mark, std::vector<SinkConfig>& out) {
    std::vector<std::string> aliases;
    for (const PluginDescriptor* d : registry_.all()) {
      if (d->kind != PluginKind::Sink) continue;
      for (std::string_view a : d->aliases) aliases.emplace_back(a);
    }
    std::map<std::string, Mark> seen;
    auto load = [&](const YAML::Node& item, const Mark& item_mark, const PluginDescriptor* plugin) {
      size_t errors_before = errors_.size();
      SinkConfig sc;
      sc.plugin = plugin;
      sc.mark = item_mark;
      sc.values = parseOptions(item, item_mark, {coreSinkOptions(), plugin->options}, errors_, {"type"});
      sc.settings = readSinkSettings(sc.values, errors_);
      sc.settings.type = std::string(plugin->name);
      if (uniqueName(seen, sc.values, "sink")) checkSinkName(sc.values);
      // A plugin sees only values that parsed: otherwise it would complain again about defaults standing in
      // for the keys reported above.
      if (errors_.size() == errors_before) sc.plugin_config = validatePluginConfig(*plugin, sc.values, errors_);
      const bool enabled = sc.settings.enabled;
      out.push_back(std::move(sc));
      return enabled;
    };
    return loadEntries(node, mark, PluginKind::Sink, aliases, load);
  }

  // Every `inputs:` entry names a source, and every enabled source reaches an enabled sink: a line that would go
  // nowhere is a config error, not a silent loss.
  void checkRoutes(const AgentConfig& config) {
    std::vector<std::string> names;
    for (const SourceConfig& sc : config.sources) names.push_back(sc.name);
    const size_t errors_before = errors_.size();
    for (const SinkConfig& sink : config.sinks) {
      for (const std::string& pattern : sink.settings.inputs) {
        if (pattern == "*" || std::any_of(names.begin(), names.end(),
                                          [&](const std::string& n) { return inputMatches(pattern, n); })) {
          continue;
        }
        std::string near = nearestName(pattern, names);
        errors_.add(sink.values.mark("inputs"), "inputs: '" + pattern + "' names no source" +
                                                    (near.empty() ? " (sources: " + joinNames(names) + ")"
                                                                  : " (did you mean '" + near + "'?)"));
      }
    }
    // A misspelled input is the reason a source reaches no sink: that error says enough.
    if (errors_.size() > errors_before) return;
    const bool any_sink = std::any_of(config.sinks.begin(), config.sinks.end(),
                                      [](const SinkConfig& sink) { return sink.settings.enabled; });
    for (const SourceConfig& source : config.sources) {
      if (!any_sink || source.name.empty() || !source.values.boolean("enabled")) continue;
      bool reached = std::any_of(config.sinks.begin(), config.sinks.end(), [&](const SinkConfig& sink) {
        return sink.settings.enabled && SourceSelector(sink.settings.inputs).takes(source.name);
      });
      if (!reached) {
        errors_.add(source.values.mark("name"), "source '" + source.name +
                                                    "' is in no enabled sink's inputs: its lines would go nowhere");
      }
    }
  }

  // A sink's name becomes its spool directory under state_dir: no separators, no dot-names.
  void checkSinkName(const OptionValues& v) {
    const std::string& name = v.str("name");
    bool ok = !name.empty() && name.front() != '.';
    for (char c : name) {
      bool allowed = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
                     c == '_' || c == '.';
      ok = ok && allowed;
    }
    if (!ok && !name.empty()) {
      errors_.add(v.mark("name"), "sink name '" + name +
                                      "' may only hold letters, digits, '-', '_' and '.' and must not start "
                                      "with '.' (it names the sink's spool directory)");
    }
  }

  std::string file_;
  const PluginRegistry& registry_;
  ConfigErrors& errors_;
};

}  // namespace

std::vector<std::string> pluginDirsOfConfigFile(const std::string& path, Mark* where) {
  *where = Mark{path, 0, 0};
  std::ifstream in(path);
  if (!in) return {};
  std::stringstream text;
  text << in.rdbuf();
  try {
    YAML::Node root = YAML::Load(text.str());
    if (!root.IsMap()) return {};
    for (auto it = root.begin(); it != root.end(); ++it) {
      if (!it->first.IsScalar() || it->first.Scalar() != "agent") continue;
      YAML::Node agent = it->second;
      if (!agent.IsMap()) return {};
      ConfigErrors ignored;  // the full load reports them, with everything else
      OptionValues v = parseOptions(agent, markOr(agent, path, *where), {agentOptions()}, ignored);
      *where = v.mark("plugin_dirs");
      return v.list("plugin_dirs");
    }
  } catch (const std::exception&) {
    // A syntax error: the full load reports it.
  }
  return {};
}

std::span<const OptionSpec> agentOptions() { return kAgentOptions; }
std::span<const OptionSpec> apiOptions() { return kApiOptions; }

std::optional<AgentConfig> loadConfigText(std::string_view yaml, const std::string& file_name,
                                          const PluginRegistry& registry, ConfigErrors& errors) {
  size_t errors_before = errors.size();
  AgentConfig config;
  try {
    YAML::Node root = YAML::Load(std::string(yaml));
    Loader(file_name, registry, errors).load(root, config);
  } catch (const YAML::Exception& ex) {
    // Syntax errors (ParserException) and anything yaml-cpp throws while we walk the tree carry a position.
    errors.add(toMark(ex.mark, file_name), explainYamlError(ex.msg, yaml, ex.mark.line));
  } catch (const std::exception& ex) {
    errors.add(Mark{file_name, 0, 0}, ex.what());
  }
  if (errors.size() > errors_before) return std::nullopt;
  return config;
}

std::optional<AgentConfig> loadConfigFile(const std::string& path, const PluginRegistry& registry,
                                          ConfigErrors& errors) {
  Result<std::string> text = readWholeFile(path);
  if (!text) {
    errors.addPlain(path + ": cannot read: " + std::strerror(-text.error().code));
    return std::nullopt;
  }
  return loadConfigText(*text, path, registry, errors);
}

}  // namespace sluice
