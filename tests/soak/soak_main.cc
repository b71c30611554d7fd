// sluice-soak: a day of bad luck compressed into SOAK_MINUTES (make soak). The real agent tails a file rotating every
// few seconds, reads a pipe and takes logplex POSTs, and forwards to an HTTPS drain and a TCP syslog receiver, both
// spooled (mode: always), while the drain answers 503 and 429, resets and vanishes for 10 s, the receiver restarts,
// the agent is killed with SIGKILL every 30-90 s and restarted, reloaded with SIGHUP every 20 s, and its state
// directory's disk fills up once. At the end every line must have reached both sinks at least once; duplicates,
// memory, descriptors and sanitizer reports are reported and checked. Exit 0 when everything held.
#include <sched.h>
#include <sys/mount.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <random>
#include <vector>

#include "tests/soak/soak_chaos.h"
#include "tests/soak/soak_load.h"
#include "tests/support/certs.h"
#include "tests/support/syslog_receiver.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_drain.h"
#include "tests/support/wait.h"

using namespace sluice;
using namespace sluice::soak;
using namespace std::chrono_literals;

namespace {

struct Args {
  std::string agent;
  double minutes = 10;
  uint64_t seed = 0;
  double rate = 1.0;   // multiplies the default line rates
};

bool parseArgs(int argc, char** argv, Args* a) {
  for (int i = 1; i < argc; ++i) {
    std::string k = argv[i];
    if (i + 1 >= argc) return false;
    std::string v = argv[++i];
    if (k == "--agent") {
      a->agent = v;
    } else if (k == "--minutes") {
      a->minutes = std::stod(v);
    } else if (k == "--seed") {
      a->seed = std::stoull(v);
    } else if (k == "--rate") {
      a->rate = std::stod(v);
    } else {
      return false;
    }
  }
  return !a->agent.empty() && a->minutes > 0;
}

// The state directory on a small filesystem of its own, so that it can be filled: a tmpfs in a private mount
// namespace (root only; the namespace, and the mount with it, ends with this process).
bool smallStateFilesystem(const std::string& dir, const char* size) {
  if (geteuid() != 0) return false;
  if (unshare(CLONE_NEWNS) != 0 || mount("none", "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) return false;
  return mount("tmpfs", dir.c_str(), "tmpfs", 0, (std::string("size=") + size).c_str()) == 0;
}

struct Tally {
  std::map<std::string, std::vector<uint8_t>> seen;   // stream -> count per seq (saturating)
  uint64_t foreign = 0;                               // not a soak line (Sluice's own notices)
  void add(std::string_view body) {
    std::string stream;
    uint64_t seq = 0;
    if (!parseSoakLine(body, &stream, &seq)) {
      ++foreign;
      return;
    }
    auto& v = seen[stream];
    if (v.size() <= seq) v.resize(seq + 1, 0);
    if (v[seq] < 255) ++v[seq];
  }
  // Missing and duplicated lines of `stream` among its first `produced`.
  std::pair<uint64_t, uint64_t> check(const std::string& stream, uint64_t produced) const {
    uint64_t missing = 0, dups = 0;
    auto it = seen.find(stream);
    for (uint64_t i = 0; i < produced; ++i) {
      uint8_t c = it != seen.end() && i < it->second.size() ? it->second[i] : 0;
      if (c == 0) ++missing;
      if (c > 1) dups += c - 1;
    }
    return {missing, dups};
  }
  // The first runs of missing sequence numbers of `stream`, "from-to, ...", to find them in the logs.
  std::string missingRanges(const std::string& stream, uint64_t produced, size_t max_runs = 8) const {
    std::string out;
    size_t runs = 0;
    auto it = seen.find(stream);
    for (uint64_t i = 0; i < produced && runs < max_runs; ++i) {
      auto count = [&](uint64_t j) { return it != seen.end() && j < it->second.size() ? it->second[j] : 0; };
      if (count(i) != 0) continue;
      uint64_t end = i;
      while (end + 1 < produced && count(end + 1) == 0) ++end;
      out += (out.empty() ? "" : ", ") + std::to_string(i) + "-" + std::to_string(end);
      ++runs;
      i = end;
    }
    return out;
  }
};

}  // namespace

int main(int argc, char** argv) {
  Args args;
  if (!parseArgs(argc, argv, &args)) {
    std::cerr << "usage: sluice-soak --agent PATH [--minutes M] [--seed N] [--rate X]\n";
    return 2;
  }
  if (args.seed == 0) args.seed = static_cast<uint64_t>(time(nullptr));
  TempDir work("sluice-soak");
  const std::string state = work.file("state");
  const std::string logs = work.file("logs");
  std::filesystem::create_directories(state);
  std::filesystem::create_directories(logs);
  const bool small_fs = smallStateFilesystem(state, "320m");
  std::printf("soak: %.1f minutes, seed %llu, agent %s, state on %s\n", args.minutes,
              static_cast<unsigned long long>(args.seed), args.agent.c_str(),
              small_fs ? "a 320 MiB tmpfs (it will be filled once)" : "the work directory (not root: no disk fill)");

  auto certs = makeTestCerts(work.path());
  if (!certs) {
    std::cerr << "soak: certificates: " << certs.error().message << "\n";
    return 1;
  }
  TestDrain::Options dopts;
  dopts.cert_file = certs->server_cert;
  dopts.key_file = certs->server_key;
  TestDrain drain(dopts);
  SyslogReceiver receiver(SyslogReceiver::Options{});

  Chaos::Setup setup;
  setup.agent_binary = args.agent;
  setup.work_dir = work.path();
  setup.state_dir = state;
  setup.logs_dir = logs;
  setup.ca_file = certs->ca_cert;
  setup.small_fs = small_fs;
  setup.seed = args.seed;
  setup.duration = std::chrono::milliseconds(static_cast<int64_t>(args.minutes * 60000));
  Chaos chaos(setup, drain, receiver);

  RotatingFileWriter files(logs, 400 * args.rate, 100, 4s);
  PipeWriter pipe(200 * args.rate, 100);
  chaos.startAgent(pipe.readEnd());
  LogplexPoster posts(chaos.postPort(), "soak-token", 100 * args.rate, 100, 20);
  files.start();
  pipe.start();
  posts.start();

  chaos.run();  // the schedule of misfortunes, until the duration is over

  files.stop();
  pipe.stop();
  posts.stop();
  const std::map<std::string, uint64_t> produced{
      {"file", files.produced()}, {"pipe", pipe.produced()}, {"post", posts.produced()}};
  uint64_t total = 0;
  for (const auto& [s, n] : produced) total += n;
  std::printf("soak: produced %llu lines (file %llu in %llu rotations, pipe %llu, post %llu in %llu POST attempts)\n",
              static_cast<unsigned long long>(total), static_cast<unsigned long long>(produced.at("file")),
              static_cast<unsigned long long>(files.rotations()), static_cast<unsigned long long>(produced.at("pipe")),
              static_cast<unsigned long long>(produced.at("post")), static_cast<unsigned long long>(posts.attempts()));

  // Everything must arrive once the weather is fine again.
  bool settled = waitFor([&] { return drain.messageCount() >= total && receiver.messageCount() >= total; }, 300s);
  ChaosReport report = chaos.finish(settled);

  int failures = report.failures;
  const uint64_t bound_per_kill = 4 * 1000;   // max_in_flight × batch.max_messages, per sink
  for (const char* sink : {"drain", "syslog"}) {
    Tally tally;
    for (const auto& b : std::string(sink) == "drain" ? drain.bodies() : receiver.bodies()) tally.add(b);
    uint64_t missing = 0, dups = 0;
    for (const auto& [stream, n] : produced) {
      auto [m, d] = tally.check(stream, n);
      missing += m;
      dups += d;
      std::printf("soak: %-6s %-4s %9llu produced, %llu missing, %llu duplicated\n", sink, stream.c_str(),
                  static_cast<unsigned long long>(n), static_cast<unsigned long long>(m),
                  static_cast<unsigned long long>(d));
      if (m > 0) std::printf("soak: %-6s %-4s missing: %s\n", sink, stream.c_str(), tally.missingRanges(stream, n).c_str());
    }
    const uint64_t allowed = bound_per_kill * (report.kills + 1) + 1000 * report.receiver_restarts;
    std::printf("soak: %-6s %llu missing, %llu duplicated (%.0f per kill; allowed %llu), %llu other messages\n", sink,
                static_cast<unsigned long long>(missing), static_cast<unsigned long long>(dups),
                report.kills > 0 ? static_cast<double>(dups) / static_cast<double>(report.kills) : 0.0,
                static_cast<unsigned long long>(allowed), static_cast<unsigned long long>(tally.foreign));
    if (missing > 0) ++failures;
    if (dups > allowed) ++failures;
  }
  if (failures > 0) {
    // The agents' logs, the rotated files and the state (checkpoints, journal) outlive the run, to be read.
    const std::string kept = work.path() + "-kept";
    std::error_code ec;
    std::filesystem::copy(work.path(), kept, std::filesystem::copy_options::recursive, ec);
    std::printf("soak: the work directory is kept in %s%s\n", kept.c_str(), ec ? (" (in part: " + ec.message() + ")").c_str() : "");
  }
  if (small_fs) umount2(state.c_str(), MNT_DETACH);
  std::printf("soak: %s\n", failures == 0 ? "PASSED" : "FAILED");
  return failures == 0 ? 0 : 1;
}
