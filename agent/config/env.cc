#include "agent/config/env.h"

#include <cstdlib>

namespace sluice {
namespace {

bool isNameStart(char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_'; }
bool isNameChar(char c) { return isNameStart(c) || (c >= '0' && c <= '9'); }

// The index of the '}' closing the reference whose body starts at `pos`, counting nested `${`.
size_t findClose(std::string_view text, size_t pos) {
  int depth = 1;
  for (size_t i = pos; i < text.size(); ++i) {
    if (text[i] == '$' && i + 1 < text.size() && text[i + 1] == '$') {
      ++i;
    } else if (text[i] == '$' && i + 1 < text.size() && text[i + 1] == '{') {
      ++depth;
      ++i;
    } else if (text[i] == '}' && --depth == 0) {
      return i;
    }
  }
  return std::string_view::npos;
}

Result<std::string> expandDepth(std::string_view text, int depth) {
  if (depth > 8) return makeError("environment variable defaults are nested too deeply");
  std::string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    char c = text[i];
    if (c != '$' || i + 1 >= text.size()) {
      out += c;
      ++i;
      continue;
    }
    char next = text[i + 1];
    if (next == '$') {
      out += '$';
      i += 2;
      continue;
    }
    if (next != '{') {
      out += c;
      ++i;
      continue;
    }
    size_t body = i + 2;
    size_t close = findClose(text, body);
    if (close == std::string_view::npos) return makeError("unterminated '${' (write $$ for a literal $)");
    std::string_view ref = text.substr(body, close - body);
    size_t n = 0;
    while (n < ref.size() && isNameChar(ref[n])) ++n;
    std::string name(ref.substr(0, n));
    if (name.empty() || !isNameStart(name[0])) {
      return makeError("invalid environment variable reference (expected ${NAME} or ${NAME:-default})");
    }
    std::string_view op = ref.substr(n);
    const char* value = std::getenv(name.c_str());
    if (op.empty()) {
      if (value == nullptr) {
        return makeError("environment variable " + name + " is not set (write ${" + name +
                         ":-default} for a default)");
      }
      out += value;
    } else if (op.starts_with(":-") || op.starts_with("-")) {
      bool empty_counts = op.starts_with(":-");
      bool use_default = value == nullptr || (empty_counts && *value == '\0');
      if (use_default) {
        Result<std::string> dflt = expandDepth(op.substr(empty_counts ? 2 : 1), depth + 1);
        if (!dflt) return dflt.takeError();
        out += *dflt;
      } else {
        out += value;
      }
    } else {
      return makeError("invalid environment variable reference to " + name +
                       " (expected ${" + name + "} or ${" + name + ":-default})");
    }
    i = close + 1;
  }
  return out;
}

}  // namespace

Result<std::string> expandEnv(std::string_view text) { return expandDepth(text, 0); }

}  // namespace sluice
