// The tail source's rows of `make bench`: a file of the same lines read from its beginning, as raw text and as
// Docker json-file records, to the HTTPS drain; and raw text to a TLS syslog receiver (octet counting).
#include <fstream>

#include "bench/bench.h"
#include "tests/support/syslog_receiver.h"

namespace sluice::bench {

std::string tailSourceYaml(const std::string& format) {
  std::string s = R"(sources:
  - name: files
    type: tail
    paths: ["{DIR}/{FORMAT}.log"]
    format: {FORMAT}
    start_at: beginning
)";
  replaceAll(s, "{FORMAT}", format);
  return s;
}

std::string dockerLines(std::string_view raw) {
  std::string out;
  out.reserve(raw.size() * 2);
  size_t start = 0;
  while (start < raw.size()) {
    size_t nl = raw.find('\n', start);
    out += R"({"log":")";
    out.append(raw.substr(start, nl - start));
    out += R"(\n","stream":"stdout","time":"2024-05-01T10:00:00.123456789Z"})";
    out += '\n';
    start = nl + 1;
  }
  return out;
}

SyslogReceiver::Options tlsReceiverOptions(const Setup& setup) {
  SyslogReceiver::Options o;
  o.transport = SyslogReceiver::Transport::Tls;
  o.cert_file = setup.certs.server_cert;
  o.key_file = setup.certs.server_key;
  o.check_rfc5424 = false;
  o.keep_messages = false;
  return o;
}

std::string tlsSyslogSinkYaml(uint16_t port) {
  return "  - name: syslog\n    type: syslog\n    url: tls://localhost:" + std::to_string(port) +
         "\n    tls: {ca_file: {CA_FILE}}\n";
}

void tailRows(Setup& setup, const std::string& input) {
  const std::string raw = "tail (raw file) -> HTTPS drain";
  const std::string docker = "tail (docker json) -> HTTPS drain";
  const std::string tls = "tail (raw file) -> TLS syslog (octet)";
  if (setup.wants(raw) || setup.wants(tls)) std::ofstream(setup.dir.file("raw.log"), std::ios::binary) << input;
  if (setup.wants(raw)) {
    AgentRun run{raw, kAgentYaml + tailSourceYaml("raw") + kDrainSinkYaml, false};
    printRow(repeated(setup, [&] { return runAgent(setup, run, ""); }));
  }
  if (setup.wants(docker)) {
    std::ofstream(setup.dir.file("docker.log"), std::ios::binary) << dockerLines(input);
    AgentRun run{docker, kAgentYaml + tailSourceYaml("docker") + kDrainSinkYaml, false};
    printRow(repeated(setup, [&] { return runAgent(setup, run, ""); }));
  }
  if (setup.wants(tls)) {
    printRow(repeated(setup, [&] {
      SyslogReceiver receiver(tlsReceiverOptions(setup));
      AgentRun run{tls, kAgentYaml + tailSourceYaml("raw") + "sinks:\n" + tlsSyslogSinkYaml(receiver.port()), false};
      return runAgentCounting(setup, run, "", [&] { return receiver.messageCount(); });
    }));
  }
}

}  // namespace sluice::bench
