#include "plugins/journald/journald_options.h"

#include "agent/sources/source_options.h"

namespace sluice::plugins::journald {
namespace {

constexpr size_t kMaxFieldName = 64;  // sd-journal's limit on field names

const OptionSpec kTable[] = {
    {"directory", OptionType::String, "",
     "read the journal files in this directory (and its machine-id subdirectories), e.g. a host's /var/log/journal "
     "mounted into a container; default: the local system journal"},
    {"units", OptionType::StringList, "[]",
     "only these systemd units' entries (_SYSTEMD_UNIT); a name without a type gets .service: [nginx, cron.service]"},
    {"matches", OptionType::StringList, "[]",
     "only entries with these fields, FIELD=value: matches of one field are OR'ed, of different fields AND'ed (as "
     "journalctl does), and `units` count as _SYSTEMD_UNIT matches"},
    {"start_at", OptionType::Enum, "end",
     "where the first start (no cursor saved yet) begins: the journal's end or its beginning", "end|beginning"},
    {"severity", OptionType::Enum, "info", "severity of entries without a PRIORITY field", kSeverityNames},
    {"poll_interval", OptionType::Duration, "1s",
     "how often the journal is looked at besides inotify, and a missing directory looked for"},
    {"checkpoint_interval", OptionType::Duration, "1s",
     "the cursor file is fsynced at most this often (and at shutdown); every acknowledgement is written to it as "
     "it comes"},
};

bool unitChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == ':' || c == '_' ||
         c == '.' || c == '\\' || c == '@' || c == '-';
}

}  // namespace

const std::span<const OptionSpec> kJournaldOptions = kTable;

std::string matchProblem(std::string_view match) {
  const size_t eq = match.find('=');
  if (eq == std::string_view::npos) return "is not FIELD=value";
  std::string_view field = match.substr(0, eq);
  if (field.empty()) return "has no field name before '='";
  if (field.size() > kMaxFieldName) return "has a field name longer than 64 characters";
  if (field[0] >= '0' && field[0] <= '9') return "has a field name that starts with a digit";
  for (char c : field) {
    if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_')) {
      return "has a field name with characters other than A-Z, 0-9 and '_' (journal fields are upper case)";
    }
  }
  return "";
}

Result<std::string> unitName(std::string_view unit) {
  if (unit.empty()) return makeError("an empty unit name");
  for (char c : unit) {
    if (c == '*' || c == '?' || c == '[') return makeError("globs are not supported, name each unit");
    if (!unitChar(c)) return makeError("not a unit name (letters, digits and :_.\\@- only)");
  }
  std::string name(unit);
  if (name.find('.') == std::string::npos) name += ".service";
  return name;
}

void validateJournaldOptions(const OptionValues& v, ConfigErrors& errors) {
  const std::string& dir = v.str("directory");
  if (!dir.empty() && dir.front() != '/') {
    errors.add(v.mark("directory"), "directory: give an absolute path ('" + dir + "' is relative)");
  }
  const auto& units = v.list("units");
  for (size_t i = 0; i < units.size(); ++i) {
    if (Result<std::string> u = unitName(units[i]); !u) {
      errors.add(v.itemMark("units", i), "units: '" + units[i] + "': " + u.error().message);
    }
  }
  const auto& matches = v.list("matches");
  for (size_t i = 0; i < matches.size(); ++i) {
    if (std::string problem = matchProblem(matches[i]); !problem.empty()) {
      errors.add(v.itemMark("matches", i), "matches: '" + matches[i] + "' " + problem);
    }
  }
  for (const char* key : {"poll_interval", "checkpoint_interval"}) {
    if (v.duration(key).count() <= 0) errors.add(v.mark(key), std::string(key) + " must be longer than 0");
  }
}

JournaldOptions journaldOptionsFrom(const OptionValues& v, size_t max_line_bytes, const std::string& state_dir) {
  JournaldOptions o;
  o.directory = v.str("directory");
  for (const std::string& u : v.list("units")) {
    if (Result<std::string> name = unitName(u)) o.matches.push_back("_SYSTEMD_UNIT=" + *name);
  }
  for (const std::string& m : v.list("matches")) o.matches.push_back(m);
  o.start_at_beginning = v.str("start_at") == "beginning";
  o.severity = severityOption(v, "severity", Severity::Info);
  o.poll_interval = v.duration("poll_interval");
  o.checkpoint_interval = v.duration("checkpoint_interval");
  o.max_line_bytes = max_line_bytes;
  o.state_dir = state_dir;
  return o;
}

}  // namespace sluice::plugins::journald
