#include "agent/pipeline/rfc5424_header.h"

namespace sluice {
namespace {

// The next space-terminated field of at least one printable byte; advances `rest` past the space.
bool takeField(std::string_view& rest, std::string_view* field) {
  size_t sp = rest.find(' ');
  if (sp == 0 || sp == std::string_view::npos) return false;
  *field = rest.substr(0, sp);
  rest.remove_prefix(sp + 1);
  return true;
}

// STRUCTURED-DATA: "-" or one or more "[SD-ID *(SP NAME="VALUE")]", where a value may hold \" \\ \] escapes.
size_t structuredDataLength(std::string_view s) {
  if (s.empty()) return 0;
  if (s[0] == '-') return 1;
  size_t i = 0;
  while (i < s.size() && s[i] == '[') {
    ++i;
    bool quoted = false;
    for (;;) {
      if (i >= s.size()) return 0;
      char c = s[i];
      if (quoted) {
        if (c == '\\' && i + 1 < s.size()) {
          i += 2;
          continue;
        }
        if (c == '"') quoted = false;
      } else if (c == '"') {
        quoted = true;
      } else if (c == ']') {
        ++i;
        break;
      }
      ++i;
    }
  }
  return i;
}

}  // namespace

bool parseRfc5424(std::string_view m, Rfc5424Parts* out) {
  *out = Rfc5424Parts{};
  out->msg = m;
  if (m.size() < 4 || m[0] != '<') return false;
  size_t i = 1;
  int pri = 0;
  while (i < m.size() && i <= 3 && m[i] >= '0' && m[i] <= '9') pri = pri * 10 + (m[i++] - '0');
  if (i == 1 || i >= m.size() || m[i] != '>' || pri > 191) return false;
  ++i;
  // VERSION: 1 to 2 digits, not starting with 0.
  size_t v = i;
  while (i < m.size() && i - v < 2 && m[i] >= '0' && m[i] <= '9') ++i;
  if (i == v || m[v] == '0' || i >= m.size() || m[i] != ' ') return false;
  std::string_view rest = m.substr(i + 1);
  Rfc5424Parts p;
  p.pri = pri;
  if (!takeField(rest, &p.timestamp) || !takeField(rest, &p.hostname) || !takeField(rest, &p.app_name) ||
      !takeField(rest, &p.procid) || !takeField(rest, &p.msgid)) {
    return false;
  }
  size_t sd = structuredDataLength(rest);
  if (sd == 0) return false;
  p.structured_data = rest.substr(0, sd);
  rest.remove_prefix(sd);
  if (!rest.empty()) {
    if (rest[0] != ' ') return false;
    rest.remove_prefix(1);
  }
  p.msg = rest;
  p.header_size = m.size() - rest.size();
  *out = p;
  return true;
}

}  // namespace sluice
