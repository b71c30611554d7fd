// Many files: 1,000 files tailed at once, each written at 100 lines/s (a writer thread appending in rounds of
// 100 ms), against one file written at the same total rate; then the idle agent's CPU with nothing written.
// Targets (issue 13): CPU per million lines within 1.5x of one file's, RSS within 24 MB + 16 KiB per file, idle
// CPU below 0.1%.
#include <fcntl.h>
#include <time.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <thread>

#include "bench/bench.h"
#include "tests/support/agent_process.h"

namespace sluice::bench {
namespace {

// CPU time of a running process (rusage only comes at its end), from its CPU-time clock: nanoseconds, where
// /proc/PID/stat counts 10 ms ticks, too coarse for 0.1% of 10 s.
double cpuOf(pid_t pid) {
  clockid_t clock;
  timespec ts{};
  if (clock_getcpuclockid(pid, &clock) != 0 || clock_gettime(clock, &ts) != 0) return 0;
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

// How many of `pid`'s descriptors are files under `dir`.
int filesOpenIn(pid_t pid, const std::string& dir) {
  int n = 0;
  std::error_code ec;
  for (const auto& fd : std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/fd", ec)) {
    std::error_code link_ec;
    const std::string target = std::filesystem::read_symlink(fd.path(), link_ec).string();
    if (!link_ec && target.rfind(dir + "/", 0) == 0) ++n;
  }
  return n;
}

struct ManyResult {
  Figures f;
  double idle_percent = -1;
};

// `files` files, `per_file_rate` lines/s each for `seconds`; then `idle_seconds` with nothing written.
ManyResult runFiles(Setup& setup, const std::string& path, int files, int per_file_rate, int seconds,
                    int idle_seconds) {
  static int n = 0;
  const std::string dir = setup.dir.file("many-" + std::to_string(++n));
  std::filesystem::create_directories(dir);
  std::vector<int> fds;
  for (int i = 0; i < files; ++i) {
    fds.push_back(open((dir + "/f" + std::to_string(i) + ".log").c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644));
  }
  TestDrain drain(drainOptions(setup));
  std::string config = std::string(kAgentYaml) + "sources:\n  - name: files\n    type: tail\n    paths: [\"" + dir +
                       "/*.log\"]\n    start_at: beginning\n" + kDrainSinkYaml;
  replaceAll(config, "{DRAIN_URL}", drain.url());
  AgentProcess::Options ao;
  ao.binary = setup.agent;
  ao.args = {"--config", writeConfig(setup, config)};
  ao.dir = setup.dir.path();
  ao.close_stdin = true;
  AgentProcess agent(ao);

  // The agent's start (reading the config, the first look at the files, opening them) is not work per line: the
  // CPU is counted from when it holds every file open.
  const auto open_by = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (filesOpenIn(agent.pid(), dir) < files && std::chrono::steady_clock::now() < open_by && agent.running()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  const double cpu_at_start = cpuOf(agent.pid());
  const int per_round = per_file_rate / 10;  // rounds of 100 ms
  const int rounds = seconds * 10;
  const std::string lines = makeLines(static_cast<uint64_t>(per_round), setup.line_bytes);
  ManyResult r;
  r.f.path = path;
  r.f.lines = static_cast<uint64_t>(files) * static_cast<uint64_t>(per_round) * static_cast<uint64_t>(rounds);
  auto start = std::chrono::steady_clock::now();
  std::thread writer([&] {
    for (int round = 0; round < rounds; ++round) {
      for (int fd : fds) {
        if (fd >= 0 && write(fd, lines.data(), lines.size()) < 0) break;
      }
      std::this_thread::sleep_until(start + std::chrono::milliseconds(100 * (round + 1)));
    }
  });
  auto give_up = start + std::chrono::seconds(seconds + 60);
  while (drain.messageCount() < r.f.lines && std::chrono::steady_clock::now() < give_up && agent.running()) {
    agent.samplePeakRssKb();
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  writer.join();
  r.f.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  r.f.cpu_seconds = cpuOf(agent.pid()) - cpu_at_start;
  r.f.peak_rss_mb = static_cast<double>(agent.samplePeakRssKb()) / 1024.0;
  if (drain.messageCount() < r.f.lines) r.f.note = "only " + std::to_string(drain.messageCount()) + " lines arrived";
  if (idle_seconds > 0) {
    // A second to settle (checkpoints, the last acks), then the idle window.
    std::this_thread::sleep_for(std::chrono::seconds(1));
    double before = cpuOf(agent.pid());
    std::this_thread::sleep_for(std::chrono::seconds(idle_seconds));
    r.idle_percent = 100 * (cpuOf(agent.pid()) - before) / idle_seconds;
  }
  agent.signal(SIGTERM);
  (void)agent.wait(std::chrono::minutes(1));
  for (int fd : fds) close(fd);
  std::filesystem::remove_all(dir);
  return r;
}

}  // namespace

void manyFileRows(Setup& setup) {
  const std::string many = "many files: 1,000 x 100 lines/s, tail -> HTTPS";
  const std::string one = "many files: 1 x 100,000 lines/s (same total)";
  if (!setup.wants(many) && !setup.wants(one)) return;
  // The bench holds the 1,000 files open too.
  struct rlimit rl {};
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < 4096) {
    rl.rlim_cur = std::min<rlim_t>(rl.rlim_max, 4096);
    setrlimit(RLIMIT_NOFILE, &rl);
  }
  printHeader("Costs as the work grows: many files (one file and 1,000 alternating, medians; CPU from when the "
              "agent holds the files open)");
  // Pairs of runs, one file then many, so that both see the machine of the moment; the ratio is of the medians.
  const int runs = setup.quick ? 1 : setup.runs;
  const int seconds = setup.quick ? 5 : 10;
  std::vector<Figures> ones, lots;
  std::vector<double> ratios;
  double idle_percent = -1;
  for (int i = 0; i < runs; ++i) {
    ManyResult a = runFiles(setup, one, 1, 100000, seconds, 0);
    // The last run ends with 30 s idle: a watched file is looked at every 30 poll intervals
    // (TailSource::kWatchedLookPolls), so a shorter window may or may not hold that round of looks.
    ManyResult b = runFiles(setup, many, 1000, 100, seconds, i + 1 < runs ? 0 : setup.quick ? 3 : 30);
    ones.push_back(a.f);
    lots.push_back(b.f);
    ratios.push_back(b.f.cpuPerMillion() / a.f.cpuPerMillion());
    if (b.idle_percent >= 0) idle_percent = b.idle_percent;
  }
  Figures single = medianOf(ones);
  printRow(single);
  Figures many_files = medianOf(lots);
  std::sort(ratios.begin(), ratios.end());
  std::ostringstream note;
  note << std::fixed << std::setprecision(2) << "CPU/M " << many_files.cpuPerMillion() / single.cpuPerMillion()
       << "x one file's (pairs " << ratios.front() << "-" << ratios.back() << "x; target <= 1.5x); RSS target "
       << std::setprecision(1) << 24 + 1000 * 16 / 1024.0 << " MB; idle CPU " << std::setprecision(3)
       << idle_percent << "% (target < 0.1%)";
  many_files.note = note.str() + (many_files.note.empty() ? "" : "; " + many_files.note);
  printRow(many_files);
}

}  // namespace sluice::bench
