#pragma once
// `sluice check --show`: a section as Sluice understands it, as YAML that loads back to the same values: every
// key of its tables (defaults filled in, ${VAR}s expanded, sizes and durations as a config writes them), in the
// order the tables declare them, credentials as ****.
#include <string>
#include <string_view>

#include "agent/config/options.h"

namespace sluice {

inline constexpr std::string_view kMasked = "****";

// The values as a YAML block mapping (no trailing newline), nested keys nested ("batch:\n  linger: 200ms").
// A source or sink passes its `type` (a key its tables do not declare): it follows `name`, which comes first.
std::string showOptions(const OptionValues& values, std::string_view type = {});

// "https://token:****@host/logs" for "https://token:SECRET@host/logs"; text without a password in a URL's user
// info is returned as it is.
std::string maskUrlPassword(std::string_view text);

}  // namespace sluice
