#pragma once
// `${VAR}` expansion in YAML values (shared/CONFIG.md): every string the configuration reads goes through here.
#include <string>
#include <string_view>

#include "agent/core/result.h"

namespace sluice {

// Expands `${VAR}`, `${VAR:-default}` (default when VAR is unset or empty), `${VAR-default}` (only when unset) and
// `$$` (a literal `$`); a default may itself hold references. A `$` followed by anything else stays as it is.
// Errors never quote the text (it may be a secret); they name the variable.
Result<std::string> expandEnv(std::string_view text);

}  // namespace sluice
