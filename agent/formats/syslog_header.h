#pragma once
// The header of an RFC 5424 message (section 6), parsed without copying: the logplex input checks and rewrites
// the frames it forwards, and the admin API shows their fields. Pure: the fuzz targets call it.
#include <string>
#include <string_view>

namespace sluice {

struct SyslogHeader {
  int pri = 0;                        // facility * 8 + severity
  std::string_view version;           // "1"
  std::string_view timestamp;         // RFC 3339, or "-"
  std::string_view hostname;
  std::string_view app_name;
  std::string_view procid;
  std::string_view msgid;
  std::string_view structured_data;   // "-" or one or more "[...]" elements
  std::string_view msg;               // may be empty
  size_t msg_offset = 0;              // where msg starts in the message (its size when there is none)
};

// Parses "<PRI>VERSION SP TIMESTAMP SP HOSTNAME SP APP-NAME SP PROCID SP MSGID SP STRUCTURED-DATA [SP MSG]".
// Returns false with *error set when the message does not have that shape.
bool parseSyslogHeader(std::string_view message, SyslogHeader* out, const char** error);

// Writes the message again with a new HOSTNAME and/or APP-NAME (empty views keep the original field), into `out`
// (replacing its contents). The values must already be valid header fields (printable ASCII, no spaces).
void rewriteSyslogHeader(std::string_view message, const SyslogHeader& header, std::string_view hostname,
                         std::string_view app_name, std::string& out);

}  // namespace sluice
