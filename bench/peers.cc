// The peers on Sluice's paths, run by run alternating with Sluice on the same input: syslog-ng 3.38 tailing a
// file to the HTTPS drain (its http() destination, logplex frames as the body) and to a TLS syslog receiver (its
// syslog() driver: RFC 5425, octet counting). Both with flow control and Sluice's batch sizes. A peer that is not
// installed is said so in its row.
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <sstream>

#include "bench/bench.h"
#include "tests/support/syslog_receiver.h"

namespace sluice::bench {
namespace {

constexpr const char* kSyslogNg = "/usr/sbin/syslog-ng";

// The source and options both peer configs share: the file read from its beginning (a fresh persist file), one
// message per line without parsing, flow control so nothing is dropped when the destination falls behind.
const std::string kSyslogNgHead = R"(@version: 3.38
options { threaded(yes); use-dns(no); use-fqdn(no); keep-hostname(yes); chain-hostnames(no); stats-freq(0);
          frac-digits(6); ts-format(iso); log-fifo-size(100000); mark-freq(0); };
source s_tail { file("{FILE}" flags(no-parse) follow-freq(1) log-fetch-limit(1000) log-iw-size(100000)); };
)";

// The body of a logplex POST: octet-counted RFC 5424 frames, as Sluice sends them (the same header fields).
const std::string kSyslogNgHttp = kSyslogNgHead + R"(destination d_out {
  http(url("https://localhost:{PORT}/logs") method("POST") user("token") password("SECRET")
       headers("Content-Type: application/logplex-1")
       tls(ca-file("{CA_FILE}") peer-verify(yes))
       batch-lines(1000) batch-bytes(1048576) batch-timeout(200) workers(4) delimiter("")
       body("$(length \"<$PRI>1 $ISODATE bench sluice files - - $MSG\") <$PRI>1 $ISODATE bench sluice files - - $MSG"));
};
log { source(s_tail); destination(d_out); flags(flow-control); };
)";

const std::string kSyslogNgTls = kSyslogNgHead + R"(destination d_out {
  syslog("localhost" port({PORT}) transport("tls") tls(ca-file("{CA_FILE}") peer-verify(required-trusted)));
};
log { source(s_tail); destination(d_out); flags(flow-control); };
)";

Figures runSyslogNg(Setup& setup, const std::string& path, std::string config, uint16_t port, uint64_t lines,
                    const std::function<size_t()>& count) {
  static int n = 0;
  const std::string dir = setup.dir.file("syslog-ng-" + std::to_string(++n));
  std::filesystem::create_directories(dir);
  replaceAll(config, "{FILE}", setup.dir.file("peer.log"));
  replaceAll(config, "{PORT}", std::to_string(port));
  replaceAll(config, "{CA_FILE}", setup.certs.ca_cert);
  std::ofstream(dir + "/syslog-ng.conf") << config;
  ProcessRun run;
  run.path = path;
  run.binary = kSyslogNg;
  run.args = {"-F", "-f", dir + "/syslog-ng.conf", "-R", dir + "/persist", "-c", dir + "/ctl", "-p", dir + "/pid",
              "--no-caps"};
  run.feed_stdin = false;
  run.lines = lines;
  run.count = count;
  return runProcess(setup, run, "");
}

std::string ratio(double a, double b) {
  if (a <= 0 || b <= 0) return "-";
  std::ostringstream s;
  s << std::fixed << std::setprecision(a / b < 0.1 ? 3 : 2) << a / b << "x";
  return s.str();
}

// Alternates Sluice and the peer run by run; prints both medians and the peer's ratios to Sluice.
void alternate(Setup& setup, uint64_t lines,
               const std::function<Figures(bool peer)>& one) {
  std::vector<Figures> ours, theirs;
  const int runs = setup.quick ? 1 : setup.runs;
  for (int i = 0; i < runs; ++i) {
    ours.push_back(one(false));
    theirs.push_back(one(true));
  }
  Figures s = medianOf(ours), p = medianOf(theirs);
  s.lines = p.lines = lines;
  printRow(s);
  p.note = "vs Sluice: lines/s " + ratio(p.rate(), s.rate()) + ", CPU-s/M " +
           ratio(p.cpuPerMillion(), s.cpuPerMillion()) + (p.note.empty() ? "" : "; " + p.note);
  printRow(p);
}

}  // namespace

void peerRows(Setup& setup, const std::string& input) {
  const std::string http_peer = "  syslog-ng 3.38: tail -> HTTPS drain";
  const std::string tls_peer = "  syslog-ng 3.38: tail -> TLS syslog";
  if (!setup.wants("syslog-ng") && !setup.wants("peer")) return;
  printHeader("Peers (alternating with Sluice run by run, same file)");
  if (access(kSyslogNg, X_OK) != 0) {
    std::cout << "syslog-ng: not installed (" << kSyslogNg << "), its rows are skipped\n";
    return;
  }
  const uint64_t lines = std::min<uint64_t>(setup.quick ? 100000 : 500000, setup.lines);
  std::ofstream(setup.dir.file("peer.log"), std::ios::binary)
      << std::string_view(input.data(), std::min(input.size(), lines * (setup.line_bytes + 1)));
  std::string sluice_tail = std::string(kAgentYaml) + tailSourceYaml("raw");
  replaceAll(sluice_tail, "{DIR}/raw.log", "{DIR}/peer.log");
  alternate(setup, lines, [&](bool peer) {
    TestDrain::Options o = drainOptions(setup);
    o.check_headers = false;  // syslog-ng sends no per-batch Logplex-Msg-Count nor Frame-Id
    TestDrain drain(o);
    auto count = [&] { return drain.messageCount(); };
    if (peer) return runSyslogNg(setup, http_peer, kSyslogNgHttp, drain.port(), lines, count);
    std::string config = sluice_tail + kDrainSinkYaml;
    replaceAll(config, "{DRAIN_URL}", drain.url());
    return runAgentCounting(setup, AgentRun{"Sluice: tail -> HTTPS drain", config, false, false, "", lines}, "", count);
  });
  alternate(setup, lines, [&](bool peer) {
    SyslogReceiver receiver(tlsReceiverOptions(setup));
    auto count = [&] { return receiver.messageCount(); };
    if (peer) return runSyslogNg(setup, tls_peer, kSyslogNgTls, receiver.port(), lines, count);
    std::string config = sluice_tail + "sinks:\n" + tlsSyslogSinkYaml(receiver.port());
    return runAgentCounting(setup, AgentRun{"Sluice: tail -> TLS syslog", config, false, false, "", lines}, "", count);
  });
}

}  // namespace sluice::bench
