#include <csignal>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <thread>

#include "bench/bench.h"
#include "tests/support/agent_process.h"
#include "tests/support/test_drain.h"

namespace sluice::bench {

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

Figures runAgent(Setup& setup, const AgentRun& run, const std::string& input) {
  TestDrain drain(drainOptions(setup));

  std::string config = run.config;
  replaceAll(config, "{DRAIN_URL}", drain.url());
  replaceAll(config, "{CA_FILE}", setup.certs.ca_cert);
  static int run_number = 0;
  replaceAll(config, "{STATE_DIR}", setup.dir.path() + "/state-" + std::to_string(++run_number));
  replaceAll(config, "{DIR}", setup.dir.path());
  std::string config_path = setup.dir.file("bench.yaml");
  std::ofstream(config_path) << config;

  AgentProcess::Options ao;
  ao.binary = setup.agent;
  ao.args = {"--config", config_path};
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
  // VmHWM is sampled while the agent runs (the last sample before exit is its peak).
  bool all = false;
  auto give_up = std::chrono::steady_clock::now() + std::chrono::minutes(5);
  while (!all && std::chrono::steady_clock::now() < give_up) {
    all = run.until_exit ? agent.wait(std::chrono::milliseconds(10)).has_value()
                         : drain.waitForMessages(f.lines, std::chrono::milliseconds(10));
    agent.samplePeakRssKb();
  }
  f.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (writer.joinable()) writer.join();
  if (!run.feed_stdin) agent.signal(SIGTERM);
  auto status = agent.wait(std::chrono::minutes(2));
  const struct rusage& ru = agent.usage();
  double cpu = static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
               static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
  f.cpu_seconds = cpu;
  f.peak_rss_mb = static_cast<double>(agent.peakRssKb()) / 1024.0;
  f.note = run.note;
  if (!all && !run.until_exit) f.note = "only " + std::to_string(drain.messageCount()) + " lines arrived";
  if (!status) f.note += " (agent did not exit)";
  else if (*status != 0) f.note += " (agent exit " + std::to_string(*status) + ")";
  return f;
}

void printTable(const std::vector<Figures>& rows) {
  std::cout << std::left << std::setw(40) << "path" << std::right << std::setw(10) << "lines" << std::setw(14)
            << "lines/s" << std::setw(20) << "CPU-s / M lines" << std::setw(16) << "peak RSS MB" << "  note\n";
  for (const Figures& f : rows) {
    std::cout << std::left << std::setw(40) << f.path << std::right << std::setw(10) << f.lines << std::setw(14)
              << std::fixed << std::setprecision(0) << (f.seconds > 0 ? static_cast<double>(f.lines) / f.seconds : 0);
    if (f.cpu_seconds >= 0) {
      std::cout << std::setw(20) << std::setprecision(3) << f.cpu_seconds / (static_cast<double>(f.lines) / 1e6);
      if (f.peak_rss_mb >= 0) {
        std::cout << std::setw(16) << std::setprecision(1) << f.peak_rss_mb;
      } else {
        std::cout << std::setw(16) << "-";
      }
    } else {
      std::cout << std::setw(20) << "-" << std::setw(16) << "-";
    }
    std::cout << "  " << f.note << "\n";
  }
}

}  // namespace sluice::bench
