// Costs as the work grows: one stdin into 4 sinks against 1 (the per-sink cost), and lines of 10 B to 64 KiB
// (lines/s and MB/s; each size moves about the same number of bytes).
#include <iomanip>
#include <iostream>
#include <sstream>

#include "bench/bench.h"
#include "tests/support/syslog_receiver.h"

namespace sluice::bench {

void fanOutRows(Setup& setup, const std::string& input) {
  const std::string one = "fan-out: stdin -> 1 sink (HTTPS)";
  const std::string four = "fan-out: stdin -> 4 sinks (2 HTTPS, TLS syslog, file)";
  if (!setup.wants(one) && !setup.wants(four)) return;
  printHeader("Costs as the work grows: fan-out (the agent exits at EOF once every sink has every line)");
  const std::string head = std::string(kAgentYaml) + "sources:\n  - name: app\n    type: stdin\n";
  Figures f1 = repeated(setup, [&] {
    TestDrain drain(drainOptions(setup));
    std::string config = head + kDrainSinkYaml;
    replaceAll(config, "{DRAIN_URL}", drain.url());
    AgentRun run{one, config, true, true};
    return runAgentCounting(setup, run, input, [&] { return drain.messageCount(); });
  });
  printRow(f1);
  Figures f4 = repeated(setup, [&] {
    TestDrain a(drainOptions(setup)), b(drainOptions(setup));
    SyslogReceiver receiver(tlsReceiverOptions(setup));
    std::string config = head + kDrainSinkYaml + "  - name: drain2\n    type: logplex_https\n    url: " + b.url() +
                         "\n    tls: {ca_file: {CA_FILE}}\n" + tlsSyslogSinkYaml(receiver.port()) +
                         "  - name: file\n    type: file\n    path: {DIR}/fan-out.out\n";
    replaceAll(config, "{DRAIN_URL}", a.url());
    AgentRun run{four, config, true, true};
    Figures f = runAgentCounting(setup, run, input, [&] { return a.messageCount(); });
    uint64_t least = std::min({a.messageCount(), b.messageCount(), receiver.messageCount()});
    if (least < f.lines) f.note += "only " + std::to_string(least) + " lines at a sink";
    return f;
  });
  std::ostringstream note;
  note << std::fixed << std::setprecision(3) << "per added sink: " << (f4.cpuPerMillion() - f1.cpuPerMillion()) / 3
       << " CPU-s/M ((CPU4 - CPU1) / 3)";
  f4.note = note.str() + (f4.note.empty() ? "" : "; " + f4.note);
  printRow(f4);
}

void lineSizeRows(Setup& setup) {
  if (!setup.wants("line size")) return;
  printHeader("Costs as the work grows: line sizes, stdin -> HTTPS (about the same bytes per row)");
  const uint64_t bytes = setup.quick ? 20000000 : 100000000;
  for (size_t size : {size_t{10}, size_t{100}, size_t{1024}, size_t{16384}, size_t{65536}}) {
    const uint64_t lines = std::max<uint64_t>(100, bytes / size);
    const std::string input = makeLines(lines, size);
    std::string path = "line size " + std::to_string(size) + " B";
    // 64 KiB lines are one message each: the source's limit is raised past them (the default is 64 KiB).
    std::string config = std::string(kAgentYaml) + "sources:\n  - name: app\n    type: stdin\n"
                         "    max_line_bytes: 128KiB\n" + kDrainSinkYaml;
    Figures f = repeated(setup, [&] { return runAgent(setup, AgentRun{path, config, true, false, "", lines}, input); },
                         3);
    f.bytes = lines * size;
    printRow(f);
  }
}

}  // namespace sluice::bench
