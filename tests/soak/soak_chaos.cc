#include "tests/soak/soak_chaos.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <thread>

#include "tests/support/files.h"
#include "tests/support/wait.h"

namespace sluice::soak {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// A port free now (bound to 0, then released): the agent's listeners keep theirs across restarts.
uint16_t freePort() {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  uint16_t port = 0;
  if (bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0) {
    port = ntohs(a.sin_port);
  }
  close(fd);
  return port;
}

long countFds(pid_t pid) {
  long n = 0;
  std::error_code ec;
  for (auto it = std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/fd", ec);
       !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
    ++n;
  }
  return n;
}

double secondsSince(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

}  // namespace

Chaos::Chaos(Setup setup, TestDrain& drain, SyslogReceiver& receiver)
    : setup_(std::move(setup)), drain_(drain), receiver_(receiver), rng_(setup_.seed) {}

Chaos::~Chaos() = default;

void Chaos::log(const std::string& what) {
  std::printf("soak: %7.1fs %s\n", secondsSince(started_), what.c_str());
  std::fflush(stdout);
}

void Chaos::startAgent(int stdin_fd) {
  stdin_fd_ = stdin_fd;
  started_ = Clock::now();
  api_port_ = freePort();
  post_port_ = freePort();
  writeConfig("250ms");
  launch();
}

void Chaos::writeConfig(const std::string& poll_interval) {
  const std::string spool = "    buffer: {memory: 8MiB, disk: 128MiB, mode: always}\n"
                            "    retry: {initial: 100ms, max: 2s}\n";
  std::string yaml =
      "agent:\n  hostname: soak\n  state_dir: " + setup_.state_dir + "\n  shutdown_timeout: 20s\n"
      "api:\n  listen: 127.0.0.1:" + std::to_string(api_port_) + "\n"
      "sources:\n"
      "  - name: files\n    type: tail\n    paths: [\"" + setup_.logs_dir + "/app.log\"]\n    start_at: beginning\n"
      "    poll_interval: " + poll_interval + "\n"
      "  - name: pipe\n    type: stdin\n"
      "  - name: posts\n    type: logplex\n    listen: 127.0.0.1:" + std::to_string(post_port_) +
      "\n    tokens: [soak-token]\n"
      "sinks:\n"
      "  - name: drain\n    type: logplex_https\n    url: " + drain_.url() + "\n    tls: {ca_file: " + setup_.ca_file +
      "}\n" + spool +
      "  - name: syslog\n    type: syslog\n    url: " + receiver_.url() + "\n" + spool;
  config_ = setup_.work_dir + "/sluice.yaml";
  writeFile(config_ + ".tmp", yaml);
  std::filesystem::rename(config_ + ".tmp", config_);  // a reload never reads half a file
}

void Chaos::launch() {
  ++incarnation_;
  AgentProcess::Options o;
  o.binary = setup_.agent_binary;
  o.args = {"--config", config_};
  o.stdin_fd = stdin_fd_;
  o.dir = setup_.work_dir + "/run-" + std::to_string(incarnation_);
  std::filesystem::create_directories(o.dir);
  agent_ = std::make_unique<AgentProcess>(o);
  launched_ = Clock::now();
}

void Chaos::checkIncarnation(const char* how) {
  std::string report = agent_->sanitizerReport();
  if (!report.empty()) {
    ++report_.failures;
    log(std::string("FAILURE: incarnation ") + std::to_string(incarnation_) + " (" + how + "):\n" + report);
  }
}

void Chaos::kill9() {
  agent_->signal(SIGKILL);
  agent_->wait(10s);
  checkIncarnation("killed");
  ++report_.kills;
}

void Chaos::sample() {
  if (!agent_->running()) return;
  long rss = agent_->currentRssKb();
  long fds = countFds(agent_->pid());
  max_rss_kb_ = std::max(max_rss_kb_, rss);
  max_fds_ = std::max(max_fds_, fds);
  // The baseline: the first incarnation once it has run under load for a while.
  if (incarnation_ == 1 && baseline_rss_kb_ == 0 && secondsSince(launched_) >= 20) {
    baseline_rss_kb_ = rss;
    baseline_fds_ = fds;
    log("baseline: RSS " + std::to_string(rss / 1024) + " MiB, " + std::to_string(fds) + " open fds");
  }
}

void Chaos::fillDisk(bool on) {
  const std::string filler = setup_.state_dir + "/soak-filler";
  if (!on) {
    std::filesystem::remove(filler);
    log("disk: filler removed");
    return;
  }
  struct statvfs vfs {};
  if (statvfs(setup_.state_dir.c_str(), &vfs) != 0) return;
  uint64_t free_bytes = static_cast<uint64_t>(vfs.f_bavail) * vfs.f_frsize;
  uint64_t leave = 256 * 1024;
  int fd = open(filler.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  std::string block(1 << 20, 'f');
  uint64_t written = 0;
  while (fd >= 0 && written + leave < free_bytes) {
    size_t n = static_cast<size_t>(std::min<uint64_t>(block.size(), free_bytes - leave - written));
    ssize_t w = write(fd, block.data(), n);
    if (w <= 0) break;
    written += static_cast<uint64_t>(w);
  }
  if (fd >= 0) close(fd);
  ++report_.disk_fills;
  log("disk: filled with " + std::to_string(written >> 20) + " MiB, about 256 KiB left");
}

void Chaos::run() {
  auto between = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); };
  const auto end = started_ + setup_.duration;
  auto next_kill = Clock::now() + std::chrono::seconds(between(30, 90));
  auto next_hup = Clock::now() + 20s;
  auto next_weather = Clock::now() + 15s;
  auto next_receiver = Clock::now() + 60s;
  auto disk_fill_at = started_ + setup_.duration * 2 / 5;
  Clock::time_point drain_back{}, receiver_back{}, disk_back{};
  bool disk_filled = false;
  while (Clock::now() < end) {
    std::this_thread::sleep_for(100ms);
    auto now = Clock::now();
    sample();
    if (!agent_->running()) {
      auto st = agent_->wait(0ms);
      ++report_.failures;
      log("FAILURE: the agent ended by itself with status " + std::to_string(st.value_or(-1)) +
          "; its stderr ends: " + agent_->stderrText().substr(agent_->stderrText().size() > 2000 ? agent_->stderrText().size() - 2000 : 0));
      checkIncarnation("ended");
      launch();
    }
    if (now >= next_kill) {
      kill9();
      log("kill -9 #" + std::to_string(report_.kills) + ", restarting");
      launch();
      next_kill = now + std::chrono::seconds(between(30, 90));
    }
    if (now >= next_hup) {
      // Every other reload changes the tail source, so that it is replaced (not only kept) under load.
      writeConfig(report_.reloads % 2 == 0 ? "150ms" : "250ms");
      agent_->signal(SIGHUP);
      ++report_.reloads;
      next_hup = now + 20s;
    }
    if (drain_back != Clock::time_point{} && now >= drain_back) {
      drain_.comeUp();
      drain_back = {};
      log("drain: back");
    }
    if (now >= next_weather && drain_back == Clock::time_point{}) {
      switch (between(0, 3)) {
        case 0:
          drain_.failNext(between(10, 60), 503);
          break;
        case 1:
          drain_.failNext(between(10, 60), 429, "1");
          break;
        case 2:
          drain_.resetNext(between(5, 20));
          break;
        default:
          drain_.goDown();
          drain_back = now + 10s;
          ++report_.drain_outages;
          log("drain: down for 10 s");
      }
      ++report_.drain_faults;
      next_weather = now + std::chrono::seconds(between(10, 20));
    }
    if (receiver_back != Clock::time_point{} && now >= receiver_back) {
      receiver_.comeUp();
      receiver_back = {};
    }
    if (now >= next_receiver && receiver_back == Clock::time_point{}) {
      receiver_.goDown();
      receiver_back = now + 3s;
      ++report_.receiver_restarts;
      log("syslog receiver: restarting");
      next_receiver = now + std::chrono::seconds(between(45, 75));
    }
    if (setup_.small_fs && !disk_filled && now >= disk_fill_at) {
      fillDisk(true);
      disk_filled = true;
      disk_back = now + 20s;
    }
    if (disk_back != Clock::time_point{} && now >= disk_back) {
      fillDisk(false);
      disk_back = {};
    }
  }
  if (drain_back != Clock::time_point{}) {
    drain_.comeUp();
    log("drain: back");
  }
  if (receiver_back != Clock::time_point{}) receiver_.comeUp();
  if (disk_back != Clock::time_point{}) fillDisk(false);
  log("the weather is fine again: " + std::to_string(report_.kills) + " kills, " + std::to_string(report_.reloads) +
      " reloads, " + std::to_string(report_.drain_faults) + " drain faults (" + std::to_string(report_.drain_outages) +
      " outages), " + std::to_string(report_.receiver_restarts) + " receiver restarts");
}

ChaosReport Chaos::finish(bool settled) {
  if (!settled) {
    ++report_.failures;
    log("FAILURE: the sinks did not receive every line within 300 s of the end");
  }
  long rss = agent_->currentRssKb();
  long fds = countFds(agent_->pid());
  log("end: RSS " + std::to_string(rss / 1024) + " MiB (baseline " + std::to_string(baseline_rss_kb_ / 1024) +
      ", max " + std::to_string(max_rss_kb_ / 1024) + "), " + std::to_string(fds) + " open fds (baseline " +
      std::to_string(baseline_fds_) + ", max " + std::to_string(max_fds_) + ")");
  // Back to the baseline: within half again its memory (queues and caches refill), and a few descriptors.
  if (baseline_rss_kb_ > 0 && rss > baseline_rss_kb_ * 3 / 2 + 8 * 1024) {
    ++report_.failures;
    log("FAILURE: RSS did not come back to its baseline");
  }
  if (baseline_fds_ > 0 && fds > baseline_fds_ + 8) {
    ++report_.failures;
    log("FAILURE: open descriptors did not come back to their baseline");
  }
  agent_->signal(SIGTERM);
  auto st = agent_->wait(60s);
  if (!st || *st != 0) {
    ++report_.failures;
    log("FAILURE: SIGTERM: the agent exited with " + (st ? std::to_string(*st) : std::string("nothing (still running)")));
  }
  checkIncarnation("stopped");
  return report_;
}

}  // namespace sluice::soak
