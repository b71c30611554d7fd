#include "plugins/syslog/config.h"


namespace sluice::plugins::syslog {

std::unique_ptr<PluginConfig> validateSyslog(const OptionValues& values, ConfigErrors& errors) {
  auto c = std::make_unique<SyslogConfig>();
  Result<ParsedUrl> url = parseUrl(values.str("url"));
  if (!url) {
    errors.add(values.mark("url"), "url: " + url.error().message);
    return nullptr;
  }
  c->url = std::move(*url);
  const std::string& scheme = c->url.scheme;
  if (scheme == "tcp") {
    c->transport = Transport::Tcp;
  } else if (scheme == "tls") {
    c->transport = Transport::Tls;
  } else if (scheme == "udp") {
    c->transport = Transport::Udp;
  } else {
    errors.add(values.mark("url"), "url: the scheme must be tcp, tls or udp, not '" + scheme + "'");
    return nullptr;
  }
  size_t before = errors.size();
  if (c->url.target != "/" || !c->url.user.empty() || c->url.has_password) {
    errors.add(values.mark("url"), "url: a syslog URL is scheme://host:port, without user, path or query");
  }
  c->framing = values.str("framing") == "lf" ? Framing::Lf : Framing::Octet;
  c->newlines = values.str("newlines") == "split" ? NewlineMode::Split : NewlineMode::Escape;
  c->max_datagram = values.size("max_datagram");
  c->oversize = values.str("oversize") == "truncate" ? Oversize::Truncate : Oversize::Split;
  if (c->max_datagram < kMinDatagram || c->max_datagram > kMaxDatagram) {
    errors.add(values.mark("max_datagram"), "max_datagram must be between 480 and 65000 bytes");
  }
  const bool udp = c->transport == Transport::Udp;
  if (udp && values.isSet("framing")) {
    errors.add(values.mark("framing"), "framing applies to tcp:// and tls://; over udp each datagram is one message");
  }
  if (!udp) {
    for (const char* key : {"max_datagram", "oversize"}) {
      if (values.isSet(key)) errors.add(values.mark(key), std::string(key) + " applies to udp:// only");
    }
  }
  if (values.isSet("newlines") && c->framing != Framing::Lf) {
    errors.add(values.mark("newlines"), "newlines applies to framing: lf only (octet counting carries any bytes)");
  }
  c->tls = readTlsClientOptions(values, errors);
  if (c->transport != Transport::Tls) rejectOutside(values, kTlsClientOptions, "tls://", errors);
  c->timeouts = readTimeouts(values, errors);
  if (errors.size() > before) return nullptr;
  return c;
}

}  // namespace sluice::plugins::syslog
