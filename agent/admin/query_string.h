#pragma once
// URL query strings: "n=10&filter=web%7Cworker" → pairs (percent and '+' decoded), and the encoding back.
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sluice {

using QueryParams = std::vector<std::pair<std::string, std::string>>;

QueryParams parseQueryString(std::string_view query);
// The first value of `name`, or nullptr.
const std::string* queryParam(const QueryParams& params, std::string_view name);
// Percent-encodes everything but unreserved characters (RFC 3986 section 2.3).
std::string urlEncode(std::string_view text);

}  // namespace sluice
