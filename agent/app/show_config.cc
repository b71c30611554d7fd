#include "agent/app/show_config.h"

#include <sys/stat.h>

#include <cstdlib>
#include <vector>

#include "agent/config/option_show.h"
#include "agent/core/path.h"
#include "agent/core/path_glob.h"
#include "agent/core/text_split.h"

namespace sluice {
namespace {

// `block` (lines of YAML) indented under a key, or as an item of a list ("  - " before its first line).
std::string indented(const std::string& block, std::string_view first, std::string_view rest) {
  std::string out;
  for (const std::string& row : splitLines(block)) {
    out += out.empty() ? first : rest;
    out += row + "\n";
  }
  return out;
}

// The files a tail source follows if it started now. Only the tail plugin's keys are read: the composition root
// knows every plugin's table.
std::string tailMatches(const SourceConfig& source) {
  GlobMatches m = matchGlobs(source.values.list("paths"), source.values.list("exclude_paths"));
  std::string out;
  if (m.files.empty()) {
    out = "# matches now: no file\n";
  } else {
    out = "# matches now (" + std::to_string(m.files.size()) + (m.files.size() == 1 ? " file" : " files") + "):\n";
    for (const std::string& f : m.files) out += "#   " + f + "\n";
  }
  for (const std::string& p : m.problems) out += "# " + p + "\n";
  return out;
}

// Every key is written, so the checks that a key is written only where it applies fail on defaults (tls.* of a
// tcp:// syslog sink): those lines become comments that say why. `text` is valid otherwise, as the config was.
std::string commentOutInapplicable(const std::string& text, const PluginRegistry& registry) {
  static const std::string kShown = "(shown)";
  ConfigErrors errors;
  (void)loadConfigText(text, kShown, registry, errors);
  std::vector<std::string> rows = splitLines(text);
  for (const std::string& message : errors.messages()) {
    if (!message.starts_with(kShown + ":")) continue;
    char* end = nullptr;
    long line = std::strtol(message.c_str() + kShown.size() + 1, &end, 10);
    size_t reason = message.find(": ", static_cast<size_t>(end - message.c_str()));
    if (line < 1 || static_cast<size_t>(line) > rows.size() || reason == std::string::npos) continue;
    std::string& row = rows[static_cast<size_t>(line) - 1];
    size_t indent = row.find_first_not_of(' ');
    if (indent == std::string::npos || row[indent] == '#' || row[indent] == '-') continue;
    row.insert(indent, "# ");
    row += "  # " + message.substr(reason + 2);
  }
  std::string out;
  for (const std::string& row : rows) out += row + "\n";
  return out;
}

}  // namespace

std::string showConfig(const AgentConfig& config, const PluginRegistry& registry) {
  std::string out = "# " + config.file +
                    " as Sluice reads it: every key, defaults filled in, ${VAR}s expanded, credentials as ****\n";
  out += "agent:\n" + indented(showOptions(config.agent_values), "  ", "  ");
  out += "api:\n" + indented(showOptions(config.api_values), "  ", "  ");
  out += "metrics:\n" + indented(showOptions(config.metrics_values), "  ", "  ");
  out += "sources:\n";
  for (const SourceConfig& source : config.sources) {
    out += indented(showOptions(source.values, source.type), "  - ", "    ");
    if (source.type == "tail") out += indented(tailMatches(source), "    ", "    ");
  }
  out += "sinks:\n";
  for (const SinkConfig& sink : config.sinks) {
    out += indented(showOptions(sink.values, sink.settings.type), "  - ", "    ");
  }
  return commentOutInapplicable(out, registry);
}

std::vector<std::string> checkNotes(const AgentConfig& config) {
  std::vector<std::string> notes;
  for (const SourceConfig& source : config.sources) {
    if (source.type != "tail" || !source.values.boolean("enabled")) continue;
    for (const std::string& pattern : source.values.list("paths")) {
      if (!matchGlobs({pattern}, source.values.list("exclude_paths")).files.empty()) continue;
      const std::string missing = missingGlobDirectory(pattern);
      notes.push_back("note: source " + source.name + ": nothing matches " + pattern + " now" +
                      (missing.empty() ? "" : " (the directory " + missing + " does not exist)"));
    }
  }
  return notes;
}

}  // namespace sluice
