#include "agent/net/http.h"

#include <strings.h>

namespace sluice {

bool equalsNoCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && strncasecmp(a.data(), b.data(), a.size()) == 0;
}

bool headerHasToken(const std::string* value, std::string_view token) {
  if (value == nullptr) return false;
  std::string_view v = *value;
  while (!v.empty()) {
    size_t comma = v.find(',');
    std::string_view item = v.substr(0, comma);
    while (!item.empty() && (item.front() == ' ' || item.front() == '\t')) item.remove_prefix(1);
    while (!item.empty() && (item.back() == ' ' || item.back() == '\t')) item.remove_suffix(1);
    if (equalsNoCase(item, token)) return true;
    if (comma == std::string_view::npos) break;
    v.remove_prefix(comma + 1);
  }
  return false;
}

const std::string* findHeader(const std::vector<HttpHeader>& headers, std::string_view name) {
  for (const auto& h : headers) {
    if (equalsNoCase(h.name, name)) return &h.value;
  }
  return nullptr;
}

}  // namespace sluice
