#pragma once
// The options of a journald source (kJournaldOptions declares them; README.md documents them), and the pure
// checks of its filters: `units` and `matches` become sd-journal matches, validated at config time.
#include <chrono>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "agent/config/options.h"
#include "agent/core/record.h"
#include "agent/core/result.h"

namespace sluice::plugins::journald {

struct JournaldOptions {
  std::string directory;                  // "" = the local system journal
  // sd-journal matches (FIELD=value), units first. Matches of one field are OR'ed, of different fields AND'ed.
  std::vector<std::string> matches;
  bool start_at_beginning = false;        // a first start (no cursor yet)
  Severity severity = Severity::Info;     // of entries without a valid PRIORITY
  std::chrono::milliseconds poll_interval{1000};
  std::chrono::milliseconds checkpoint_interval{1000};
  size_t max_line_bytes = 64 * 1024;
  std::string state_dir;
};

// The keys of a journald source's table (besides those of every source).
extern const std::span<const OptionSpec> kJournaldOptions;

// The checks the table cannot express: every match is FIELD=value, every unit a unit name, the directory
// absolute. Pure.
void validateJournaldOptions(const OptionValues& values, ConfigErrors& errors);

// The options from validated values; `max_line_bytes` and `state_dir` come from the agent.
JournaldOptions journaldOptionsFrom(const OptionValues& values, size_t max_line_bytes, const std::string& state_dir);

// "" when `match` is FIELD=value as sd-journal takes it (FIELD: 1-64 of A-Z, 0-9 and '_', not starting with a
// digit; the value any bytes, empty included); else what is wrong.
std::string matchProblem(std::string_view match);

// A unit as `units:` names it, as _SYSTEMD_UNIT holds it: a name without a type gets ".service" ("nginx" →
// "nginx.service"). Error when it is not a unit name (empty, a glob, a space, a '/', a '=').
Result<std::string> unitName(std::string_view unit);

}  // namespace sluice::plugins::journald
