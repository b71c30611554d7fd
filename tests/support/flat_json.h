#pragma once
// A strict reader of one flat JSON object (string keys; string, number, true, false or null values), for tests
// that check what Sluice writes as JSON lines: anything else, an unescaped control character, a bad escape or
// trailing bytes make it fail.
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace sluice {

// Key → value: strings decoded (escapes resolved, \uXXXX as UTF-8), other values as written ("null", "12").
std::optional<std::map<std::string, std::string>> parseFlatJsonObject(std::string_view text);

}  // namespace sluice
