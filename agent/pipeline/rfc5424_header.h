#pragma once
// Reads the header of an RFC 5424 message (section 6), the shape the framer writes and the logplex input passes
// through: "<PRI>VERSION SP TIMESTAMP SP HOSTNAME SP APP-NAME SP PROCID SP MSGID SP STRUCTURED-DATA [SP MSG]".
// Pure and allocation-free: the parts are views into the message. Sinks that look at the MSG (clf_json) or
// repeat the header (syslog over UDP or LF framing, when a message is split) use it.
#include <cstddef>
#include <string_view>

namespace sluice {

struct Rfc5424Parts {
  int pri = 0;
  std::string_view timestamp;        // as written (RFC 3339 or "-")
  std::string_view hostname;
  std::string_view app_name;
  std::string_view procid;
  std::string_view msgid;
  std::string_view structured_data;  // "-" or "[id k="v"]..."
  std::string_view msg;              // the rest after the single space; may be empty
  size_t header_size = 0;            // bytes before the MSG: the header and the space that ends it
};

// False when the message does not start with a well-formed header: then only `msg` is set (the whole message).
bool parseRfc5424(std::string_view message, Rfc5424Parts* out);

}  // namespace sluice
