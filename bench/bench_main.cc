// sluice-bench --agent PATH [--lines N] [--runs N] [--only REGEX] [--quick]: lines/s, CPU seconds per million lines
// and peak RSS per path (medians of --runs runs), the peers' ratios, the stages alone, the costs as the work grows.
#include <csignal>
#include <cstring>
#include <iostream>
#include <vector>

#include "bench/bench.h"

using namespace sluice;
using namespace sluice::bench;

namespace {

const std::string kStdinHttps = std::string(kAgentYaml) + "sources:\n  - name: app\n    type: stdin\n" + kDrainSinkYaml;

// The same path with every batch written to the spool and fsynced before its lines leave the stdin pipe; the memory
// buffer at its default, as the row asks (16 MiB ran no faster and peaked 1.3 MB higher).
const std::string kStdinHttpsAlways =
    kStdinHttps + "    buffer: {disk: 1GiB, mode: always, sync: batch}\n";

// The same path with the admin API off, on at its defaults (on an ephemeral port, so a busy 8089 cannot turn it
// off), and on with the archive: the cost of the router's tap.
std::string withApi(const std::string& api) {
  std::string c = kStdinHttps;
  return c.replace(c.find("sources:"), 0, api);
}

int usage() {
  std::cerr << "usage: sluice-bench [--agent PATH] [--lines N] [--runs N] [--only REGEX] [--quick]\n";
  return 2;
}

}  // namespace

namespace sluice::bench {

// The spool and the API's cost on the stdin path.
void mainRows(Setup& setup, const std::string& input) {
  auto row = [&](const std::string& path, const std::string& config) {
    if (!setup.wants(path)) return;
    printRow(repeated(setup, [&] { return runAgent(setup, AgentRun{path, config, true}, input); }));
  };
  row("stdin -> spool (always, fsync) -> HTTPS", kStdinHttpsAlways);
  row("  same, API off", withApi("api:\n  listen: \"\"\n"));
  row("  same, API on (defaults)", withApi("api:\n  listen: 127.0.0.1:0\n"));
  row("  same, API on + archive", withApi("api:\n  listen: 127.0.0.1:0\n  archive: true\n"));
}

}  // namespace sluice::bench

int main(int argc, char** argv) {
  std::signal(SIGPIPE, SIG_IGN);  // the drain may answer a connection the agent has left
  Setup setup;
  for (int i = 1; i < argc; ++i) {
    auto arg = [&](const char* name) { return std::strcmp(argv[i], name) == 0 && i + 1 < argc; };
    if (arg("--agent")) setup.agent = argv[++i];
    else if (arg("--lines")) setup.lines = std::stoull(argv[++i]);
    else if (arg("--runs")) setup.runs = std::max(1, std::stoi(argv[++i]));
    else if (arg("--only")) setup.only = argv[++i];
    else if (std::strcmp(argv[i], "--quick") == 0) setup.quick = true;
    else return usage();
  }
  if (setup.agent.empty()) setup.agent = SLUICE_BINARY;
  auto certs = makeTestCerts(setup.dir.path());
  if (!certs) {
    std::cerr << "cannot make certificates: " << certs.error().message << "\n";
    return 1;
  }
  setup.certs = *certs;
  const auto start = std::chrono::steady_clock::now();
  std::cout << "sluice-bench: " << setup.lines << " lines of " << setup.line_bytes << " bytes, agent " << setup.agent
            << ", " << (setup.quick ? 1 : setup.runs) << " run(s) per row\n";
  std::string input = makeLines(setup.lines, setup.line_bytes);

  printHeader("Whole paths");
  if (setup.wants("drain alone")) printRow(drainAlone(setup));
  Figures stdin_https;
  const std::string stdin_path = "stdin -> HTTPS drain";
  if (setup.wants(stdin_path) || setup.wants("stage")) {
    stdin_https = repeated(setup, [&] { return runAgent(setup, AgentRun{stdin_path, kStdinHttps, true}, input); });
    printRow(stdin_https);
  }
  tailRows(setup, input);
  mainRows(setup, input);
  if (setup.wants("CLF")) printRow(repeated(setup, [&] { return clfJsonEncoder(setup); }));
  if (setup.wants("convert")) printRow(clfJsonConvert(setup));
  kafkaRows(setup, input);
  peerRows(setup, input);
  stageRows(setup, stdin_https.lines > 0 ? stdin_https.cpuPerMillion() * 1000 : 0);  // CPU ns per line
  manyFileRows(setup);
  fanOutRows(setup, input);
  lineSizeRows(setup);
  slowDrainRows(setup);
  std::cout << "\nsluice-bench: done in "
            << std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - start).count()
            << " s\n";
  return 0;
}
