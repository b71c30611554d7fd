// sluice-bench --agent PATH [--lines N]: prints lines/s, CPU seconds per million lines and peak RSS per path.
#include <csignal>
#include <cstring>
#include <iostream>
#include <vector>

#include "bench/bench.h"

using namespace sluice;
using namespace sluice::bench;

namespace {

const std::string kStdinHttps = std::string(R"(agent:
  hostname: bench
  state_dir: {STATE_DIR}
  log_level: warn
sources:
  - name: app
    type: stdin
)") + kDrainSinkYaml;

// The same path with every batch written to the spool and fsynced before its lines leave the stdin pipe.
const std::string kStdinHttpsAlways =
    kStdinHttps + "    buffer: {memory: 16MiB, disk: 1GiB, mode: always, sync: batch}\n";

// The same path with the admin API off, on at its defaults (on an ephemeral port, so a busy 8089 cannot turn it
// off), and on with the archive: the cost of the router's tap.
std::string withApi(const std::string& api) {
  std::string c = kStdinHttps;
  return c.replace(c.find("sources:"), 0, api);
}

}  // namespace

int main(int argc, char** argv) {
  std::signal(SIGPIPE, SIG_IGN);  // the drain may answer a connection the agent has left
  Setup setup;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--agent") == 0 && i + 1 < argc) setup.agent = argv[++i];
    else if (std::strcmp(argv[i], "--lines") == 0 && i + 1 < argc) setup.lines = std::stoull(argv[++i]);
    else {
      std::cerr << "usage: sluice-bench --agent PATH [--lines N]\n";
      return 2;
    }
  }
  if (setup.agent.empty()) setup.agent = SLUICE_BINARY;
  auto certs = makeTestCerts(setup.dir.path());
  if (!certs) {
    std::cerr << "cannot make certificates: " << certs.error().message << "\n";
    return 1;
  }
  setup.certs = *certs;
  std::cout << "sluice-bench: " << setup.lines << " lines of " << setup.line_bytes << " bytes, agent " << setup.agent
            << "\n\n";
  std::string input = makeLines(setup.lines, setup.line_bytes);

  std::vector<Figures> rows;
  rows.push_back(drainAlone(setup));
  rows.push_back(runAgent(setup, AgentRun{"stdin -> HTTPS drain", kStdinHttps, true}, input));
  rows.push_back(runAgent(setup, AgentRun{"stdin -> spool (always, fsync) -> HTTPS", kStdinHttpsAlways, true}, input));
  for (Figures& f : kafkaRuns(setup, input)) rows.push_back(std::move(f));
  for (Figures& f : tailRuns(setup, input)) rows.push_back(std::move(f));
  rows.push_back(clfJsonEncoder(setup));
  rows.push_back(clfJsonConvert(setup));
  rows.push_back(runAgent(setup, AgentRun{"  same, API off", withApi("api:\n  listen: \"\"\n"), true}, input));
  rows.push_back(runAgent(setup, AgentRun{"  same, API on (defaults)", withApi("api:\n  listen: 127.0.0.1:0\n"), true}, input));
  rows.push_back(runAgent(
      setup, AgentRun{"  same, API on + archive", withApi("api:\n  listen: 127.0.0.1:0\n  archive: true\n"), true}, input));
  printTable(rows);
  return 0;
}
