#pragma once
// What the receiver gets, as pure functions (no network): the buffers written to a TCP/TLS stream for a batch,
// and the datagrams of a batch over UDP. The buffers point into the batch (and static memory): nothing is
// copied, so a batch goes to the socket as the core built it.
#include <uv.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "plugins/syslog/config.h"

namespace sluice::plugins::syslog {

// What the encoding changed, for the sink's counters.
struct EncodeCounts {
  uint64_t newlines_escaped = 0;   // messages whose newlines were written as "\n" (framing lf)
  uint64_t newline_splits = 0;     // messages split at their newlines (framing lf)
  uint64_t datagram_splits = 0;    // messages sent as several datagrams (udp)
  uint64_t truncated = 0;          // messages cut to max_datagram (udp)
};

// Octet framing: the frames as they are (RFC 6587 octet counting, one buffer). LF framing: each message and
// "\n"; a newline inside a message is escaped as the two characters \n, or the message is split there into
// several messages that repeat its header.
void streamBuffers(std::string_view frames, Framing framing, NewlineMode newlines, std::vector<uv_buf_t>& out,
                   EncodeCounts& counts);

// One datagram per message (RFC 5426: no framing, no trailing newline). A message longer than `max_datagram`
// is split into datagrams that each repeat its header, or truncated; cuts avoid splitting a UTF-8 character.
struct Datagram {
  uv_buf_t parts[2];
  unsigned count = 0;
  size_t size() const { return (count > 0 ? parts[0].len : 0) + (count > 1 ? parts[1].len : 0); }
};
void udpDatagrams(std::string_view frames, size_t max_datagram, Oversize oversize, std::vector<Datagram>& out,
                  EncodeCounts& counts);

// Where to cut `s` to at most `max` bytes without splitting a UTF-8 sequence (when it is one).
size_t utf8Cut(std::string_view s, size_t max);

// For tests: the bytes as they go out.
std::string joinBuffers(const std::vector<uv_buf_t>& bufs);
std::vector<std::string> datagramBytes(const std::vector<Datagram>& datagrams);

}  // namespace sluice::plugins::syslog
