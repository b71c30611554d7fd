#include "tests/support/kafka_cluster.h"

#include <unistd.h>

#include <atomic>
#include <cstdlib>

#include "tests/support/files.h"
#include "tests/support/wait.h"

namespace sluice {
namespace {

using namespace std::chrono_literals;

// kcat's path from PATH (execv does not search); "kcat" when not found, so that the run fails and says so.
std::string kcatPath() {
  const char* path = std::getenv("PATH");
  std::string dirs = path != nullptr ? path : "/usr/bin:/bin";
  size_t start = 0;
  while (start <= dirs.size()) {
    size_t colon = dirs.find(':', start);
    if (colon == std::string::npos) colon = dirs.size();
    std::string candidate = dirs.substr(start, colon - start) + "/kcat";
    if (access(candidate.c_str(), X_OK) == 0) return candidate;
    start = colon + 1;
  }
  return "kcat";
}

}  // namespace

KafkaCluster::KafkaCluster(int brokers, std::chrono::milliseconds deadline) {
  if (const char* real = std::getenv(kBrokersEnv); real != nullptr && *real != '\0') {
    bootstrap_ = real;
    return;
  }
  dir_ = std::make_unique<TempDir>("sluice-kafka");
  AgentProcess::Options o;
  o.binary = SLUICE_KAFKA_CLUSTER_BINARY;
  o.args = {std::to_string(brokers)};
  o.dir = dir_->path();
  mock_ = std::make_unique<AgentProcess>(std::move(o));
  std::string first;
  bool started = waitFor(
      [&] {
        std::string out = mock_->stdoutText();
        size_t newline = out.find('\n');
        if (newline != std::string::npos) first = out.substr(0, newline);
        return !first.empty() || !mock_->running();
      },
      deadline);
  if (!started || first.empty()) {
    error_ = "sluice-kafka-cluster did not print its bootstrap servers: " + mock_->stderrText().substr(0, 2000);
    return;
  }
  bootstrap_ = first;
}

KafkaCluster::~KafkaCluster() {
  if (!mock_) return;
  mock_->write("quit\n");
  mock_->closeStdin();
  if (!mock_->wait(10s)) mock_->signal(SIGKILL);
}

std::string KafkaCluster::command(const std::string& line, std::chrono::milliseconds deadline) {
  if (!mock_) return "not a mock cluster";
  if (bootstrap_.empty()) return "the mock cluster did not start";
  if (!mock_->write(line + "\n")) return "the mock cluster has gone";
  std::string reply;
  bool answered = waitFor(
      [&] {
        std::string out = mock_->stdoutText();
        std::vector<std::string> lines = splitLines(out);
        // Only whole lines: the bootstrap line, then one answer per command.
        if (out.empty() || out.back() != '\n' || lines.size() < answered_ + 2) return false;
        reply = lines[answered_ + 1];
        return true;
      },
      deadline);
  if (!answered) return "no answer to '" + line + "' from the mock cluster";
  ++answered_;
  return reply == "ok" ? "" : reply;
}

std::string KafkaCluster::log() const { return mock_ ? mock_->stderrText() : std::string(); }

std::string uniqueTopic(const std::string& prefix) {
  static std::atomic<int> counter{0};
  auto now = std::chrono::system_clock::now().time_since_epoch();
  return prefix + "-" + std::to_string(getpid()) + "-" + std::to_string(++counter) + "-" +
         std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(now).count());
}

KcatRun runKcat(const std::vector<std::string>& args, const std::string& input, std::chrono::milliseconds deadline) {
  TempDir dir("sluice-kcat");
  AgentProcess::Options o;
  o.binary = kcatPath();
  o.args = args;
  o.dir = dir.path();
  o.stdin_file = writeFile(dir.file("stdin.txt"), input);
  KcatRun run;
  {
    AgentProcess kcat(std::move(o));
    run.status = kcat.wait(deadline);  // past the deadline the destructor kills it
    run.out = kcat.stdoutText();
    run.err = kcat.stderrText();
  }
  return run;
}

KcatRun consumeTopic(const std::string& bootstrap, const std::string& topic, const std::string& format,
                     std::chrono::milliseconds deadline) {
  return runKcat({"-C", "-b", bootstrap, "-t", topic, "-o", "beginning", "-e", "-q", "-f", format}, "", deadline);
}

KcatRun produceLines(const std::string& bootstrap, const std::string& topic, const std::string& lines,
                     std::chrono::milliseconds deadline, const std::string& key_delimiter) {
  std::vector<std::string> args{"-P", "-b", bootstrap, "-t", topic, "-q"};
  if (!key_delimiter.empty()) {
    args.push_back("-K");
    args.push_back(key_delimiter);
  }
  return runKcat(args, lines, deadline);
}

}  // namespace sluice
