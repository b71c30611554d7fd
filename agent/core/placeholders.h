#pragma once
// {name} placeholders in a configured text: a sink's message fields (rfc5424_framer.h) and the logplex input's
// rewrite of the app name.
#include <optional>
#include <string>
#include <string_view>

namespace sluice {

// `text` with each {name} replaced by `lookup(name) -> std::optional<std::string_view>`; a name it does not know
// (nullopt), and a '{' without a '}' after it, stay as written.
template <class Lookup>
std::string expandPlaceholders(std::string_view text, Lookup&& lookup) {
  std::string out;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t open = text.find('{', pos);
    if (open == std::string_view::npos) break;
    size_t close = text.find('}', open);
    if (close == std::string_view::npos) break;
    out.append(text.substr(pos, open - pos));
    std::optional<std::string_view> value = lookup(text.substr(open + 1, close - open - 1));
    out.append(value ? *value : text.substr(open, close - open + 1));
    pos = close + 1;
  }
  out.append(text.substr(pos));
  return out;
}

}  // namespace sluice
