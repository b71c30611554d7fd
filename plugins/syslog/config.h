#pragma once
#include <chrono>
#include <string>

#include "agent/core/url.h"
#include "agent/net/tls_context.h"
#include "agent/plugin/plugin.h"

namespace sluice::plugins::syslog {

inline constexpr OptionSpec kOptions[] = {
    {"url", OptionType::Url, kRequired,
     "tcp://host:port (RFC 6587), tls://host:port (RFC 5425, port 6514 by default) or udp://host:port (RFC 5426)"},
    {"framing", OptionType::Enum, "octet", "tcp and tls: octet counting (RFC 6587) or one message per line",
     "octet|lf"},
    {"newlines", OptionType::Enum, "escape",
     "framing lf: a newline inside a message is written as \\n, or the message is split in several", "escape|split"},
    {"max_datagram", OptionType::Size, "2048", "udp: largest datagram (480 to 65000 bytes)"},
    {"oversize", OptionType::Enum, "split",
     "udp: a longer message is sent as several datagrams with the same header, or truncated", "split|truncate"},
    {"tls.ca_file", OptionType::String, "", "PEM file of CAs to trust instead of the system store"},
    {"tls.verify", OptionType::Bool, "true", "verify the receiver's certificate and host name (false: tests only, warned)"},
    {"tls.server_name", OptionType::String, "", "name sent as SNI and verified (default: the URL's host)"},
    {"tls.cert_file", OptionType::String, "", "client certificate (PEM), for receivers that require one"},
    {"tls.key_file", OptionType::String, "", "the client certificate's key (PEM)"},
    {"connect_timeout", OptionType::Duration, "10s", "TCP connect and TLS handshake"},
    {"timeout", OptionType::Duration, "30s",
     "tcp and tls: a batch not acknowledged by the receiver's TCP stack within this is resent on a new connection"},
};

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
  TlsClientOptions tls;
  std::string server_name;
  std::chrono::milliseconds connect_timeout{10000};
  std::chrono::milliseconds timeout{30000};
};

std::unique_ptr<PluginConfig> validateSyslog(const OptionValues& values, ConfigErrors& errors);

}  // namespace sluice::plugins::syslog
