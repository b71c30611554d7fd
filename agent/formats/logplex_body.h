#pragma once
// The body of an application/logplex-1 POST, split strictly by octet counting (never by newlines): frames
// "LEN SP MSG" back to back up to the last byte, each MSG an RFC 5424 message. Pure, no allocation besides the
// output vector: the logplex input and the fuzz target (tests/fuzz/logplex_body_fuzz.cc) call it.
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "agent/core/result.h"
#include "agent/formats/syslog_header.h"

namespace sluice {

// Appends a view of every message (without its LEN) to `messages`. On the first problem, returns an error naming
// the frame (1-based) and its byte offset, e.g. "frame 2 at byte 75: frame length is not followed by a space";
// `messages` then holds the frames before it. At most `max_messages` frames are accepted.
Status parseLogplexBody(std::string_view body, std::vector<std::string_view>* messages,
                        size_t max_messages = 1000000);

// A message and its parsed RFC 5424 header, for a reader that needs both (the logplex input rewrites fields):
// each header is parsed once.
struct LogplexMessage {
  std::string_view text;
  SyslogHeader header;
};
Status parseLogplexBody(std::string_view body, std::vector<LogplexMessage>* messages, size_t max_messages = 1000000);

}  // namespace sluice
