#include "agent/formats/syslog_header.h"

namespace sluice {
namespace {

// One header field: printable US-ASCII up to the next space (RFC 5424 PRINTUSASCII, 1*N).
bool field(std::string_view s, size_t* pos, size_t max, std::string_view* out) {
  size_t start = *pos;
  size_t i = start;
  while (i < s.size() && s[i] != ' ') {
    auto c = static_cast<unsigned char>(s[i]);
    if (c < 33 || c > 126) return false;
    ++i;
  }
  if (i == start || i - start > max || i >= s.size()) return false;  // empty, too long, or no space after it
  *out = s.substr(start, i - start);
  *pos = i + 1;
  return true;
}

// STRUCTURED-DATA: "-" or SD-ELEMENTs "[id param="value" ...]" where a value may hold \" \\ \] escapes.
bool structuredData(std::string_view s, size_t* pos, std::string_view* out) {
  size_t start = *pos;
  size_t i = start;
  if (i < s.size() && s[i] == '-') {
    ++i;
  } else {
    if (i >= s.size() || s[i] != '[') return false;
    while (i < s.size() && s[i] == '[') {
      ++i;
      bool quoted = false;
      bool closed = false;
      while (i < s.size()) {
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
          closed = true;
          ++i;
          break;
        }
        ++i;
      }
      if (!closed) return false;
    }
  }
  if (i < s.size() && s[i] != ' ') return false;
  *out = s.substr(start, i - start);
  *pos = i;
  return true;
}

}  // namespace

bool parseSyslogHeader(std::string_view s, SyslogHeader* out, const char** error) {
  size_t i = 0;
  if (s.empty() || s[0] != '<') {
    *error = "message does not start with <PRI>";
    return false;
  }
  int pri = 0;
  size_t d = 1;
  while (d < s.size() && d <= 4 && s[d] >= '0' && s[d] <= '9') {
    pri = pri * 10 + (s[d] - '0');
    ++d;
  }
  if (d == 1 || d > 4 || d >= s.size() || s[d] != '>' || pri > 191 || (d > 2 && s[1] == '0')) {
    *error = "bad PRI (expected <0> to <191>)";
    return false;
  }
  out->pri = pri;
  i = d + 1;
  size_t v = i;
  while (i < s.size() && i - v < 2 && s[i] >= '0' && s[i] <= '9') ++i;
  if (i == v || s[v] == '0' || i >= s.size() || s[i] != ' ') {
    *error = "bad VERSION (expected a number and a space after the PRI)";
    return false;
  }
  out->version = s.substr(v, i - v);
  ++i;
  if (!field(s, &i, 64, &out->timestamp)) {
    *error = "bad or missing TIMESTAMP";
    return false;
  }
  if (!field(s, &i, 255, &out->hostname)) {
    *error = "bad or missing HOSTNAME";
    return false;
  }
  if (!field(s, &i, 48, &out->app_name)) {
    *error = "bad or missing APP-NAME";
    return false;
  }
  if (!field(s, &i, 128, &out->procid)) {
    *error = "bad or missing PROCID";
    return false;
  }
  if (!field(s, &i, 32, &out->msgid)) {
    *error = "bad or missing MSGID";
    return false;
  }
  if (!structuredData(s, &i, &out->structured_data)) {
    *error = "bad or missing STRUCTURED-DATA";
    return false;
  }
  if (i < s.size()) ++i;  // the space before MSG
  out->msg_offset = i;
  out->msg = s.substr(i);
  return true;
}

void rewriteSyslogHeader(std::string_view message, const SyslogHeader& h, std::string_view hostname,
                         std::string_view app_name, std::string& out) {
  out.clear();
  const char* base = message.data();
  // Everything up to HOSTNAME as it was, then the two fields, then the rest from PROCID on.
  out.append(base, static_cast<size_t>(h.hostname.data() - base));
  out.append(hostname.empty() ? h.hostname : hostname);
  out.push_back(' ');
  out.append(app_name.empty() ? h.app_name : app_name);
  out.append(message.substr(static_cast<size_t>(h.app_name.data() + h.app_name.size() - base)));
}

}  // namespace sluice
