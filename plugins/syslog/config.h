#pragma once
#include <memory>
#include <string>

#include "agent/config/http_options.h"
#include "agent/config/tls_options.h"
#include "agent/core/url.h"
#include "agent/plugin/plugin.h"

namespace sluice::plugins::syslog {

inline constexpr OptionSpec kOwnOptions[] = {
    {"url", OptionType::Url, kRequired,
     "tcp://host:port (RFC 6587), tls://host:port (RFC 5425, port 6514 by default) or udp://host:port (RFC 5426)"},
    {"framing", OptionType::Enum, "octet", "tcp and tls: octet counting (RFC 6587) or one message per line",
     "octet|lf"},
    {"newlines", OptionType::Enum, "escape",
     "framing lf: a newline inside a message is written as \\n, or the message is split in several", "escape|split"},
    {"max_datagram", OptionType::Size, "2048", "udp: largest datagram (480 to 65000 bytes)"},
    {"oversize", OptionType::Enum, "split",
     "udp: a longer message is sent as several datagrams with the same header, or truncated", "split|truncate"},
};

inline constexpr auto kOptions = joinOptions(
    kOwnOptions, kTlsClientOptions,
    withHelp(kTimeoutOptions, "timeout",
             "tcp and tls: a batch not acknowledged by the receiver's TCP stack within this is resent on a new "
             "connection"));

enum class Transport { Tcp, Tls, Udp };
enum class Framing { Octet, Lf };
enum class NewlineMode { Escape, Split };
enum class Oversize { Split, Truncate };

inline constexpr size_t kMinDatagram = 480;     // RFC 5426 section 3.2: every receiver takes 480 bytes
inline constexpr size_t kMaxDatagram = 65000;

struct SyslogConfig : PluginConfig {
  ParsedUrl url;
  Transport transport = Transport::Tcp;
  Framing framing = Framing::Octet;
  NewlineMode newlines = NewlineMode::Escape;
  size_t max_datagram = 2048;
  Oversize oversize = Oversize::Split;
  TlsClientSettings tls;
  Timeouts timeouts;
};

std::unique_ptr<PluginConfig> validateSyslog(const OptionValues& values, ConfigErrors& errors);

}  // namespace sluice::plugins::syslog
