// Quick mode for wrappers (issue 11, section 4): --api, --shutdown-timeout, --buffer with --state-dir,
// SLUICE_DRAIN_URL, --tee, errors named after the flag, and the hint when the API's default port is taken.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "tests/e2e/admin_e2e.h"

using namespace sluice;
using namespace sluice::e2e;
namespace fs = std::filesystem;

namespace {

// The TCP ports the process listens on (its sockets in LISTEN state, from /proc).
std::set<int> listeningPorts(pid_t pid) {
  std::set<std::string> inodes;
  for (const auto& e : fs::directory_iterator("/proc/" + std::to_string(pid) + "/fd")) {
    std::error_code ec;
    std::string target = fs::read_symlink(e.path(), ec).string();
    if (!ec && target.rfind("socket:[", 0) == 0) inodes.insert(target.substr(8, target.size() - 9));
  }
  std::set<int> ports;
  for (const char* table : {"tcp", "tcp6"}) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/net/" + table);
    std::string line;
    std::getline(in, line);  // the header
    while (std::getline(in, line)) {
      std::istringstream fields(line);
      std::string slot, local, remote, state, queues, timer, retransmits, uid, timeout, inode;
      fields >> slot >> local >> remote >> state >> queues >> timer >> retransmits >> uid >> timeout >> inode;
      if (state == "0A" && inodes.count(inode) > 0) ports.insert(std::stoi(local.substr(local.find(':') + 1), nullptr, 16));
    }
  }
  return ports;
}

// Holds 127.0.0.1:8089 (the admin API's default) for the test. Another test's holder or agent may have it for a
// moment (ctest runs tests in parallel): wait until it is ours, or the agent could bind it once the other lets go.
struct PortHolder {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  PortHolder() {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(8089);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(waitFor([&] { return ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0; }, 120s));
    ::listen(fd, 1);
  }
  ~PortHolder() { ::close(fd); }
};

// What an agent started with `opts` (stdin closed at once) says on stderr while the test holds the API's port.
std::string stderrWithPortTaken(AgentProcess::Options opts) {
  PortHolder holder;
  opts.close_stdin = true;
  AgentProcess agent(opts);
  CHECK(finish(agent, 60s) == 0);
  return agent.stderrText();
}

}  // namespace

TEST_CASE("quick mode: --api ADDR puts the admin API there", "[e2e][quick]") {
  Env env;
  TestDrain drain(env.drainOptions());
  AgentProcess agent(env.quick(drain, {"--api", "127.0.0.1:0"}));
  const uint16_t port = apiPort(agent);
  auto health = httpGet(port, "/healthz");
  REQUIRE(health);
  CHECK(health->status == 200);
  CHECK(listeningPorts(agent.pid()) == std::set<int>{port});
  agent.closeStdin();
  CHECK(finish(agent, 60s) == 0);
}

TEST_CASE("quick mode: --api with an empty address opens no port", "[e2e][quick]") {
  Env env;
  TestDrain drain(env.drainOptions());
  AgentProcess agent(env.quick(drain, {"--api", ""}));
  REQUIRE(agent.write("hello\n"));
  REQUIRE(drain.waitForMessages(1, 30s));
  CHECK(listeningPorts(agent.pid()).empty());
  agent.closeStdin();
  CHECK(finish(agent, 60s) == 0);
  CHECK(agent.stderrText().find("admin API") == std::string::npos);
}

// One test case for both hints: as two, ctest ran them side by side and each one's holder took the port from the other.
TEST_CASE("when the API's default port is taken, the warning names --api in quick mode and api.listen with --config",
          "[e2e][quick]") {
  Env env;
  TestDrain drain(env.drainOptions());
  {
    const std::string said = stderrWithPortTaken(env.quick(drain, {}));
    INFO(said);
    CHECK(said.find("the admin API is off (start with --api ADDR") != std::string::npos);
  }
  {
    const std::string said = stderrWithPortTaken(env.agent({"--config", env.config(drain)}));
    INFO(said);
    CHECK(said.find("the admin API is off (set api.listen to another address") != std::string::npos);
  }
}

TEST_CASE("quick mode: --shutdown-timeout bounds the wait for a drain that does not answer", "[e2e][quick]") {
  Env env;
  TestDrain drain(env.drainOptions());
  drain.setDelay(120s);
  AgentProcess agent(env.quick(drain, {"--api", "", "--shutdown-timeout", "1s"}));
  REQUIRE(agent.write("never answered\n"));
  REQUIRE(waitFor([&] { return drain.requestsArrived() >= 1; }, 30s));
  const auto start = std::chrono::steady_clock::now();
  agent.closeStdin();
  CHECK(finish(agent, 60s) == 1);  // the line is lost: said, and the exit status says so
  // The default (10s) would wait far longer.
  CHECK(std::chrono::steady_clock::now() - start < 6s);
}

TEST_CASE("quick mode: --buffer always --state-dir spools, and a restart with the same dir delivers it",
          "[e2e][quick]") {
  Env env;
  TestDrain drain(env.drainOptions());
  drain.goDown();
  const std::string state = env.dir.file("state");
  const std::vector<std::string> flags{"--api", "", "--buffer", "always", "--state-dir", state, "--shutdown-timeout", "1s"};
  const std::string input = numberedLines(0, 100);
  {
    AgentProcess agent(env.quick(drain, flags));
    REQUIRE(agent.write(input));
    // Framed, the lines take more room than as they came.
    auto spooled = [&] {
      std::error_code ec;
      uintmax_t bytes = 0;
      // The ledger's temp file comes and goes while we look: the error_code forms never throw.
      for (const auto& e : fs::directory_iterator(state + "/spool/drain", ec)) {
        std::error_code size_ec;
        const uintmax_t size = e.is_regular_file(size_ec) ? e.file_size(size_ec) : 0;
        if (!size_ec) bytes += size;
      }
      return bytes > 2 * input.size();
    };
    REQUIRE(waitFor(spooled, 30s));
    CHECK(terminateAndFinish(agent, 60s) == 0);
  }
  drain.comeUp();
  auto opts = env.quick(drain, flags);
  opts.close_stdin = true;
  AgentProcess next(opts);
  CHECK(finish(next, 60s) == 0);
  CHECK(firstDifference(drain.bodies(), splitLines(input)) == "");
}

TEST_CASE("quick mode: --buffer without --state-dir is a usage error that says why", "[e2e][quick]") {
  Env env;
  TestDrain drain(env.drainOptions());
  checkExitSaying(env.quick(drain, {"--buffer", "always"}), 2, "sluice: --buffer needs --state-dir DIR");
}

TEST_CASE("quick mode: SLUICE_DRAIN_URL is the drain, and its token is not on the command line", "[e2e][quick]") {
  Env env;
  TestDrain drain(env.drainOptions());
  auto opts = env.agent({"--api", "", "--name", "wrapped"});
  opts.env["SSL_CERT_FILE"] = env.certs.ca_cert;
  opts.env["SLUICE_DRAIN_URL"] = drain.url();
  AgentProcess agent(opts);
  REQUIRE(agent.write("from the environment\n"));
  REQUIRE(drain.waitForMessages(1, 30s));
  std::string cmdline = readFile("/proc/" + std::to_string(agent.pid()) + "/cmdline");
  CHECK(cmdline.find("wrapped") != std::string::npos);
  CHECK(cmdline.find("SECRET") == std::string::npos);
  agent.closeStdin();
  CHECK(finish(agent, 60s) == 0);
  CHECK(drain.bodies() == std::vector<std::string>{"from the environment"});
}

TEST_CASE("quick mode: --tee echoes a command's stdout to stdout and its stderr to stderr", "[e2e][quick]") {
  Env env;
  TestDrain drain(env.drainOptions());
  auto opts = env.quick(drain, {"--api", "", "--tee", "--", "/bin/sh", "-c", "echo out-1; echo err-1 >&2; echo out-2"});
  opts.close_stdin = true;
  AgentProcess agent(opts);
  CHECK(finish(agent, 60s) == 0);
  CHECK(agent.stdoutText() == "out-1\nout-2\n");
  CHECK(agent.stderrText().find("err-1\n") != std::string::npos);
  CHECK(drain.messageCount() == 3);
}

TEST_CASE("quick mode: --tee echoes stdin's lines to stdout", "[e2e][quick]") {
  Env env;
  TestDrain drain(env.drainOptions());
  auto opts = env.quick(drain, {"--api", "", "--tee"});
  opts.stdin_file = env.writeFile("in.txt", numberedLines(0, 3));
  AgentProcess agent(opts);
  CHECK(finish(agent, 60s) == 0);
  CHECK(agent.stdoutText() == numberedLines(0, 3));
  CHECK(drain.messageCount() == 3);
}

TEST_CASE("quick mode: an error in a flag's value names the flag", "[e2e][quick]") {
  Env env;
  auto run = [&](std::vector<std::string> args) {
    AgentProcess agent(env.agent(std::move(args)));
    CHECK(finish(agent, 30s) == 2);
    CHECK(agent.stderrText().find("(command line)") == std::string::npos);
    return agent.stderrText();
  };
  std::string err = run({"--drain", "ftp://token:SECRET@logs.example.com/logs"});
  CHECK(err.find("--drain: the scheme must be https") != std::string::npos);
  CHECK(err.find("SECRET") == std::string::npos);
  err = run({"--drain", "https://logs.example.com/logs", "--shutdown-timeout", "abc"});
  CHECK(err.find("--shutdown-timeout: invalid duration 'abc'") != std::string::npos);
  err = run({"--drain", "https://logs.example.com/logs", "--api", "localhost"});
  CHECK(err.find("--api: 'localhost' is not HOST:PORT") != std::string::npos);
}
