// CLF -> JSON: the clf_json sink's encoder timed in-process on one core (the hot path of the sink and of
// `sluice convert`), and `sluice convert --from clf --to json` as a process fed through a pipe.
#include <fcntl.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <ctime>

#include "agent/core/bytes.h"
#include "bench/bench.h"
#include "agent/formats/ndjson_encoder.h"

extern char** environ;

namespace sluice::bench {
namespace {

constexpr uint64_t kDistinct = 100000;  // lines generated; the runs cycle through them

double threadCpuSeconds() {
  struct timespec ts {};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

const char* const kMethods[] = {"GET", "GET", "GET", "POST", "PUT", "HEAD"};
const char* const kStatus[] = {"200", "200", "200", "304", "404", "301", "500", "201"};
const char* const kAgents[] = {
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36",
    "curl/8.4.0", "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15"};

}  // namespace

std::string makeAccessLog(uint64_t count) {
  std::string out;
  out.reserve(count * 200);
  char line[512];
  for (uint64_t i = 0; i < count; ++i) {
    int n = snprintf(line, sizeof line,
                     "192.0.%llu.%llu - - [10/Mar/2020:12:%02llu:%02llu +0100] \"%s /api/v1/items/%llu?page=%llu HTTP/1.1\" "
                     "%s %llu \"https://example.com/list\" \"%s\"\n",
                     static_cast<unsigned long long>(i / 250 % 250), static_cast<unsigned long long>(i % 250 + 1),
                     static_cast<unsigned long long>(i / 60 % 60), static_cast<unsigned long long>(i % 60),
                     kMethods[i % 6], static_cast<unsigned long long>(i), static_cast<unsigned long long>(i % 97),
                     kStatus[i % 8], static_cast<unsigned long long>(i * 37 % 20000), kAgents[i % 3]);
    out.append(line, static_cast<size_t>(n));
  }
  return out;
}

Figures clfJsonEncoder(Setup& setup) {
  // The sink's input: batches of 1000 octet-counted RFC 5424 frames carrying access-log lines.
  std::string log = makeAccessLog(kDistinct);
  std::vector<std::string> batches;
  std::string batch;
  size_t in_batch = 0;
  size_t start = 0;
  while (start < log.size()) {
    size_t nl = log.find('\n', start);
    std::string msg = "<190>1 2020-03-10T11:24:34.220324Z web-01 access web - - " + log.substr(start, nl - start);
    batch += std::to_string(msg.size()) + " " + msg;
    start = nl + 1;
    if (++in_batch == 1000) {
      batches.push_back(std::move(batch));
      batch.clear();
      in_batch = 0;
    }
  }
  if (!batch.empty()) batches.push_back(std::move(batch));

  NdjsonEncoder encoder(Schema::Compact, Unparsed::Raw);
  NdjsonCounts counts;
  ByteBuffer out;
  uint64_t bytes_out = 0;
  auto wall0 = std::chrono::steady_clock::now();
  double cpu0 = threadCpuSeconds();
  for (uint64_t done = 0; done < setup.lines;) {
    for (const std::string& b : batches) {
      out.clear();
      encoder.encodeFrames(b, out, counts);
      bytes_out += out.size();
      done += 1000;
      if (done >= setup.lines) break;
    }
  }
  Figures f;
  f.path = "CLF -> JSON encoder (1 core, in-process)";
  f.lines = counts.lines;
  f.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0).count();
  f.cpu_seconds = threadCpuSeconds() - cpu0;
  f.note = std::to_string(bytes_out / counts.lines) + " B/line of JSON";
  if (counts.unparsed_raw > 0) f.note += ", " + std::to_string(counts.unparsed_raw) + " unparsed!";
  return f;
}

Figures clfJsonConvert(Setup& setup) {
  Figures f;
  f.path = "sluice convert --from clf --to json";
  f.lines = setup.lines;
  std::string log = makeAccessLog(kDistinct);
  int in[2];
  if (::pipe(in) != 0) {
    f.note = "pipe failed";
    return f;
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in[0], STDIN_FILENO);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addclose(&actions, in[1]);
  std::string agent = setup.agent;
  const char* argv[] = {agent.c_str(), "convert", "--from", "clf", "--to", "json", nullptr};
  pid_t pid = -1;
  auto wall0 = std::chrono::steady_clock::now();
  int rc = posix_spawn(&pid, agent.c_str(), &actions, nullptr, const_cast<char* const*>(argv), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(in[0]);
  if (rc != 0) {
    ::close(in[1]);
    f.note = "cannot start " + agent;
    return f;
  }
  std::signal(SIGPIPE, SIG_IGN);
  uint64_t written = 0;
  const uint64_t per_copy = kDistinct;
  while (written < setup.lines) {
    uint64_t take = std::min(per_copy, setup.lines - written);
    std::string_view chunk = log;
    if (take < per_copy) {
      size_t end = 0;
      for (uint64_t i = 0; i < take; ++i) end = log.find('\n', end) + 1;
      chunk = chunk.substr(0, end);
    }
    while (!chunk.empty()) {
      ssize_t n = ::write(in[1], chunk.data(), chunk.size());
      if (n <= 0) break;
      chunk.remove_prefix(static_cast<size_t>(n));
    }
    written += take;
  }
  ::close(in[1]);
  int status = 0;
  struct rusage ru {};
  ::wait4(pid, &status, 0, &ru);
  f.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0).count();
  f.cpu_seconds = static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
                  static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
  // ru_maxrss would include this process's pages at the spawn, not the converter's own peak: not shown.
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) f.note = "convert failed";
  return f;
}

}  // namespace sluice::bench
