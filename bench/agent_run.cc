// Running a process (the agent or a peer) through one path: its input on stdin or in files, the run ended when
// the receiving end has every line (or the process exits), CPU from its rusage and peak RSS sampled meanwhile.
#include <csignal>
#include <fstream>
#include <optional>
#include <regex>
#include <thread>

#include "bench/bench.h"
#include "tests/support/agent_process.h"
#include "tests/support/test_drain.h"

namespace sluice::bench {

bool Setup::wants(const std::string& row) const {
  return only.empty() || std::regex_search(row, std::regex(only, std::regex::icase));
}

void replaceAll(std::string& s, const std::string& from, const std::string& to) {
  for (size_t pos = s.find(from); pos != std::string::npos; pos = s.find(from, pos + to.size())) {
    s.replace(pos, from.size(), to);
  }
}

TestDrain::Options drainOptions(const Setup& setup) {
  TestDrain::Options o;
  o.cert_file = setup.certs.server_cert;
  o.key_file = setup.certs.server_key;
  o.keep_messages = false;
  o.check_rfc5424 = false;
  return o;
}

std::string writeConfig(Setup& setup, std::string config) {
  static int run_number = 0;
  replaceAll(config, "{CA_FILE}", setup.certs.ca_cert);
  replaceAll(config, "{STATE_DIR}", setup.dir.path() + "/state-" + std::to_string(++run_number));
  replaceAll(config, "{DIR}", setup.dir.path());
  std::string config_path = setup.dir.file("bench-" + std::to_string(run_number) + ".yaml");
  std::ofstream(config_path) << config;
  return config_path;
}

Figures runProcess(Setup& setup, const ProcessRun& run, const std::string& input) {
  AgentProcess::Options ao;
  ao.binary = run.binary;
  ao.args = run.args;
  ao.dir = setup.dir.path();
  ao.close_stdin = !run.feed_stdin;
  Figures f;
  f.path = run.path;
  f.lines = run.lines != 0 ? run.lines : setup.lines;

  auto start = std::chrono::steady_clock::now();
  AgentProcess agent(ao);
  std::thread writer;
  if (run.feed_stdin) {
    writer = std::thread([&] {
      std::string_view rest = input;
      while (!rest.empty()) {
        size_t n = std::min<size_t>(rest.size(), 1 << 20);
        if (!agent.write(rest.substr(0, n))) break;
        rest.remove_prefix(n);
      }
      agent.closeStdin();
    });
  }
  // VmHWM is sampled while the process runs (the last sample before exit is its peak).
  bool all = false;
  std::optional<int> status;
  auto give_up = std::chrono::steady_clock::now() + std::chrono::minutes(5);
  while (!all && std::chrono::steady_clock::now() < give_up) {
    agent.samplePeakRssKb();
    if (run.until_exit) {
      status = agent.wait(std::chrono::milliseconds(10));
      all = status.has_value();
    } else {
      all = run.count() >= f.lines;
      if (!all) std::this_thread::sleep_for(std::chrono::milliseconds(5));
      if (!all && !agent.running()) break;
    }
  }
  f.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (!run.until_exit) all = run.count() >= f.lines;  // the last lines may have come as the process ended
  if (writer.joinable()) writer.join();
  if (!run.until_exit) {
    if (!run.feed_stdin) agent.signal(SIGTERM);  // at EOF of stdin the agent ends on its own
    status = agent.wait(std::chrono::minutes(2));
  }
  const struct rusage& ru = agent.usage();
  f.cpu_seconds = static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
                  static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
  f.peak_rss_mb = static_cast<double>(agent.peakRssKb()) / 1024.0;
  f.note = run.note;
  if (!all && !run.until_exit) f.note = "only " + std::to_string(run.count()) + " lines arrived";
  if (!status) f.note += " (did not exit)";
  else if (*status != 0 && *status != 128 + SIGTERM) f.note += " (exit " + std::to_string(*status) + ")";
  return f;
}

Figures runAgentCounting(Setup& setup, const AgentRun& run, const std::string& input, std::function<size_t()> count) {
  ProcessRun p;
  p.path = run.path;
  p.binary = setup.agent;
  p.args = {"--config", writeConfig(setup, run.config)};
  p.feed_stdin = run.feed_stdin;
  p.until_exit = run.until_exit;
  p.lines = run.lines;
  p.count = std::move(count);
  p.note = run.note;
  return runProcess(setup, p, input);
}

Figures runAgent(Setup& setup, const AgentRun& run, const std::string& input) {
  TestDrain drain(drainOptions(setup));
  AgentRun r = run;
  replaceAll(r.config, "{DRAIN_URL}", drain.url());
  return runAgentCounting(setup, r, input, [&] { return drain.messageCount(); });
}

}  // namespace sluice::bench
