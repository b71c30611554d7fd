// Issue 4 end to end: reload on SIGHUP and the systemd notify protocol.
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <deque>

#include "tests/e2e/e2e.h"

using namespace sluice;
using namespace sluice::e2e;

namespace {


size_t countLines(const std::string& path) {
  std::string text = readFile(path);
  return static_cast<size_t>(std::count(text.begin(), text.end(), '\n'));
}

std::string twoSinks(const Env& env, const TestDrain& drain, const std::string& frames_path,
                     const std::string& extra = "") {
  return "agent:\n  hostname: h\n  state_dir: " + env.dir.path() + "/state\n" +
         "sources:\n  - name: app\n    type: stdin\n"
         "sinks:\n  - name: drain\n    type: logplex_https\n    url: " + drain.url() +
         "\n    tls: {ca_file: " + env.certs.ca_cert + "}\n    batch: {linger: 10ms}\n    max_in_flight: 1\n"
         "  - name: frames\n    type: file\n    path: " + frames_path + "\n    batch: {linger: 10ms}\n" + extra;
}

// A datagram socket standing in for systemd's $NOTIFY_SOCKET.
class NotifySocket {
 public:
  explicit NotifySocket(const std::string& path) : path_(path) {
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path.c_str());
    REQUIRE(::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  }
  ~NotifySocket() { ::close(fd_); }
  // Waits for a datagram containing `what`; every datagram read is kept in `seen`.
  bool waitFor(const std::string& what, std::chrono::milliseconds deadline) {
    auto end = std::chrono::steady_clock::now() + deadline;
    for (const auto& m : seen) {
      if (m.find(what) != std::string::npos && consumed_.insert(&m).second) return true;
    }
    while (std::chrono::steady_clock::now() < end) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 20) <= 0) continue;
      char buf[4096];
      ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) continue;
      seen.emplace_back(buf, static_cast<size_t>(n));
      if (seen.back().find(what) != std::string::npos) {
        consumed_.insert(&seen.back());
        return true;
      }
    }
    return false;
  }
  std::deque<std::string> seen;

 private:
  std::string path_;
  int fd_;
  std::set<const std::string*> consumed_;
};

}  // namespace

TEST_CASE("SIGHUP reloads: a changed sink restarts, an unchanged one keeps going, nothing is lost", "[e2e][reload]") {
  Env env;
  TestDrain drain(env.drainOptions());
  const std::string a = env.dir.file("a.log"), b = env.dir.file("b.log");
  std::string config = env.writeFile("sluice.yaml", twoSinks(env, drain, a));
  AgentProcess agent(env.agent({"--config", config}));
  REQUIRE(agent.write(numberedLines(0, 100)));
  REQUIRE(drain.waitForMessages(100, 30s));
  REQUIRE(waitFor([&] { return countLines(a) == 100; }, 30s));

  const auto connections_before = drain.peers();
  REQUIRE(!connections_before.empty());
  CHECK(connections_before.begin()->rfind("127.0.0.1:", 0) == 0);
  // The file sink moves; the drain does not change; the api: section changes too (that waits for a restart).
  env.writeFile("sluice.yaml", twoSinks(env, drain, b, "api:\n  recent_lines: 5\n"));
  agent.signal(SIGHUP);
  REQUIRE(waitFor([&] { return agent.stderrText().find("reloaded ") != std::string::npos; }, 30s));
  std::string log = agent.stderrText();
  CHECK(log.find("restarted sink frames; added none; removed none") != std::string::npos);
  CHECK(log.find("api: changes take effect at the next start") != std::string::npos);
  REQUIRE(agent.write(numberedLines(100, 100)));
  REQUIRE(drain.waitForMessages(200, 30s));
  REQUIRE(waitFor([&] { return countLines(b) == 100; }, 30s));
  CHECK(countLines(a) == 100);
  // The unchanged drain kept its keep-alive connections: no new one after the reload.
  for (const auto& peer : drain.peers()) CHECK(connections_before.count(peer) == 1);
  agent.closeStdin();
  CHECK(finish(agent, 30s) == 0);
  CHECK(drain.messageCount() == 200);
  // The restarted file sink kept counting: its summary has the 100 lines of before the reload too.
  CHECK(agent.stderrText().find("sink frames: 200 messages delivered") != std::string::npos);
  CHECK(agent.stderrText().find("200 lines read, all delivered") != std::string::npos);
}

TEST_CASE("SIGHUP with an invalid config is refused and the running one stays", "[e2e][reload]") {
  Env env;
  TestDrain drain(env.drainOptions());
  const std::string a = env.dir.file("a.log");
  std::string config = env.writeFile("sluice.yaml", twoSinks(env, drain, a));
  AgentProcess agent(env.agent({"--config", config}));
  REQUIRE(agent.write(numberedLines(0, 10)));
  REQUIRE(drain.waitForMessages(10, 30s));
  env.writeFile("sluice.yaml", twoSinks(env, drain, a, "    batch: {lingr: 1s}\n"));
  agent.signal(SIGHUP);
  REQUIRE(waitFor([&] { return agent.stderrText().find("reload refused") != std::string::npos; }, 30s));
  CHECK(agent.stderrText().find("unknown key 'lingr' (did you mean 'linger'?)") != std::string::npos);
  REQUIRE(agent.write(numberedLines(10, 10)));
  REQUIRE(drain.waitForMessages(20, 30s));
  REQUIRE(waitFor([&] { return countLines(a) == 20; }, 30s));
  agent.closeStdin();
  CHECK(finish(agent, 30s) == 0);
}

TEST_CASE("under systemd: READY=1, WATCHDOG=1 at half of WATCHDOG_USEC, RELOADING=1, STATUS=, STOPPING=1",
          "[e2e][systemd]") {
  Env env;
  TestDrain drain(env.drainOptions());
  NotifySocket notify(env.dir.file("notify.sock"));
  std::string config = env.writeFile("sluice.yaml", twoSinks(env, drain, env.dir.file("a.log")));
  auto opts = env.agent({"--config", config});
  opts.env["NOTIFY_SOCKET"] = env.dir.file("notify.sock");
  opts.env["WATCHDOG_USEC"] = "200000";
  AgentProcess agent(opts);
  REQUIRE(notify.waitFor("READY=1", 30s));
  CHECK(notify.seen.front().find("STATUS=") != std::string::npos);
  CHECK(notify.seen.front().find("lines/s; backlog ") != std::string::npos);
  for (int i = 0; i < 3; ++i) CHECK(notify.waitFor("WATCHDOG=1", 5s));
  agent.signal(SIGHUP);
  CHECK(notify.waitFor("RELOADING=1", 30s));
  CHECK(notify.waitFor("READY=1", 30s));
  agent.signal(SIGTERM);
  CHECK(notify.waitFor("STOPPING=1", 30s));
  CHECK(finish(agent, 30s) == 0);
}

TEST_CASE("a child started by an exec source does not inherit NOTIFY_SOCKET", "[e2e][systemd]") {
  Env env;
  TestDrain drain(env.drainOptions());
  NotifySocket notify(env.dir.file("notify.sock"));
  auto opts = env.agent({"--drain", drain.url(), "--", "/bin/sh", "-c", "echo notify=$NOTIFY_SOCKET"});
  opts.env["SSL_CERT_FILE"] = env.certs.ca_cert;
  opts.env["NOTIFY_SOCKET"] = env.dir.file("notify.sock");
  opts.close_stdin = true;
  AgentProcess agent(opts);
  CHECK(finish(agent, 30s) == 0);
  CHECK(drain.bodies() == std::vector<std::string>{"notify="});
  CHECK(notify.waitFor("READY=1", 5s));
}
