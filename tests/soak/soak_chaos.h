#pragma once
// The soak's misfortunes, on a schedule drawn from a seed: the agent killed with SIGKILL and restarted, SIGHUP,
// the drain failing, resetting and going away, the syslog receiver restarting, the state disk filling once. It owns
// the agent's incarnations and watches their memory, descriptors and stderr.
#include <chrono>
#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "tests/support/agent_process.h"
#include "tests/support/syslog_receiver.h"
#include "tests/support/test_drain.h"

namespace sluice::soak {

struct ChaosReport {
  uint64_t kills = 0;
  uint64_t reloads = 0;
  uint64_t drain_faults = 0;
  uint64_t drain_outages = 0;
  uint64_t receiver_restarts = 0;
  uint64_t disk_fills = 0;
  int failures = 0;
};

class Chaos {
 public:
  struct Setup {
    std::string agent_binary;
    std::string work_dir;
    std::string state_dir;
    std::string logs_dir;
    std::string ca_file;
    bool small_fs = false;
    uint64_t seed = 1;
    std::chrono::milliseconds duration{600000};
  };

  Chaos(Setup setup, TestDrain& drain, SyslogReceiver& receiver);
  ~Chaos();

  // Writes the config and starts the first incarnation; stdin is `stdin_fd` for this and every later one.
  void startAgent(int stdin_fd);
  uint16_t postPort() const { return post_port_; }
  // The schedule, until the duration is over; returns with the weather fine again and the agent running.
  void run();
  // Measures memory and descriptors against the baseline, stops the agent (SIGTERM, exit 0 expected) and reports.
  ChaosReport finish(bool settled);

 private:
  void launch();
  void writeConfig(const std::string& poll_interval);
  void kill9();
  void sample();
  void checkIncarnation(const char* how);
  void fillDisk(bool on);
  void log(const std::string& what);

  Setup setup_;
  TestDrain& drain_;
  SyslogReceiver& receiver_;
  std::mt19937_64 rng_;
  int stdin_fd_ = -1;
  uint16_t api_port_ = 0;
  uint16_t post_port_ = 0;
  std::string config_;
  std::unique_ptr<AgentProcess> agent_;
  int incarnation_ = 0;
  std::chrono::steady_clock::time_point started_;       // the soak's start
  std::chrono::steady_clock::time_point launched_;      // this incarnation's
  long baseline_rss_kb_ = 0;
  long baseline_fds_ = 0;
  long max_rss_kb_ = 0;
  long max_fds_ = 0;
  ChaosReport report_;
};

}  // namespace sluice::soak
