// The syslog sink against a receiver the test starts: TCP (RFC 6587), TLS (RFC 5425) and UDP (RFC 5426).
#include "tests/support/syslog_receiver.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tests/e2e/admin_e2e.h"
#include "tests/e2e/e2e.h"

using namespace sluice;
using namespace sluice::e2e;

namespace {

using Receiver = SyslogReceiver;

Receiver::Options receiverOptions(const Env& env, Receiver::Transport t) {
  Receiver::Options o;
  o.transport = t;
  o.cert_file = env.certs.server_cert;
  o.key_file = env.certs.server_key;
  return o;
}

std::string syslogConfig(const Env& env, const std::string& url, const std::string& extra = "",
                         const std::string& agent_extra = "  shutdown_timeout: 20s\n") {
  return env.stdinConfig("  hostname: test-host\n" + agent_extra,
                         "  - name: siem\n    type: syslog\n    url: " + url +
                             "\n    batch: {max_messages: 100, linger: 10ms}\n"
                             "    retry: {initial: 20ms, max: 200ms}\n" + extra);
}

std::vector<std::string> numbered(size_t first, size_t count) { return splitLines(numberedLines(first, count)); }

// The receiver got `want`, in order, without a protocol error. (Delivered means acknowledged by the receiver's TCP;
// its reader may still be on the way.)
void checkReceived(const Receiver& receiver, const std::vector<std::string>& want) {
  CHECK(receiver.waitForMessages(want.size(), 10s));
  CHECK(receiver.protocolErrors().empty());
  CHECK(firstDifference(receiver.bodies(), want) == "");
}

// Every message has the header the sink's message fields give it.
void checkHeaders(const std::vector<std::string>& messages) {
  for (const auto& m : messages) {
    INFO(m);
    REQUIRE(m.rfind("<190>1 ", 0) == 0);
    REQUIRE(m.find(" test-host sluice app - - ") == 34);
  }
}

}  // namespace

TEST_CASE("syslog over TCP delivers every line as an octet-counted frame, in order", "[e2e][syslog]") {
  Env env;
  Receiver receiver(receiverOptions(env, Receiver::Transport::Tcp));
  AgentProcess agent(env.agent({"--config", syslogConfig(env, receiver.url())}));
  CHECK(writeAndFinish(agent, numberedLines(1, 2000), 60s) == 0);
  checkReceived(receiver, numbered(1, 2000));
  CHECK(receiver.partialFrames() == 0);
  checkHeaders(receiver.messages());
  CHECK(receiver.connections() == 1);
}

TEST_CASE("syslog over TLS verifies the receiver against the CA file and delivers every line", "[e2e][syslog]") {
  Env env;
  Receiver receiver(receiverOptions(env, Receiver::Transport::Tls));
  AgentProcess agent(env.agent({"--config", syslogConfig(env, receiver.url(), "    tls: {ca_file: " + env.certs.ca_cert + "}\n")}));
  CHECK(writeAndFinish(agent, numberedLines(1, 1000, 200), 60s) == 0);
  checkReceived(receiver, splitLines(numberedLines(1, 1000, 200)));
  checkHeaders(receiver.messages());
  CHECK(agent.stderrText().find("connected to tls://localhost:") != std::string::npos);
}

TEST_CASE("syslog over TLS presents the configured client certificate to a receiver that requires one",
          "[e2e][syslog]") {
  Env env;
  auto o = receiverOptions(env, Receiver::Transport::Tls);
  o.client_ca_file = env.certs.ca_cert;
  Receiver receiver(o);
  std::string tls = "    tls:\n      ca_file: " + env.certs.ca_cert + "\n      cert_file: " + env.certs.client_cert +
                    "\n      key_file: " + env.certs.client_key + "\n";
  AgentProcess agent(env.agent({"--config", syslogConfig(env, receiver.url(), tls)}));
  CHECK(writeAndFinish(agent, numberedLines(1, 10), 60s) == 0);
  CHECK(receiver.waitForMessages(10, 10s));
  for (auto& e : receiver.connectionErrors()) INFO("conn error: " << e);
  std::string errs;
  for (auto& e : receiver.connectionErrors()) errs += e + "\n";
  INFO("errors: " << errs << " partial " << receiver.partialFrames() << " conns " << receiver.connections());
  INFO(agent.stderrText());
  CHECK(firstDifference(receiver.bodies(), numbered(1, 10)) == "");
}

TEST_CASE("syslog over TLS refuses a receiver whose certificate the CA did not sign", "[e2e][syslog]") {
  Env env;
  Receiver receiver(receiverOptions(env, Receiver::Transport::Tls));
  AgentProcess agent(env.agent({"--config", syslogConfig(env, receiver.url(), "    tls: {ca_file: " + env.certs.wrong_ca_cert + "}\n",
                                                          "  shutdown_timeout: 1s\n")}));
  REQUIRE(agent.write("secret line\n"));
  REQUIRE(waitFor([&] { return agent.stderrText().find("certificate verify failed") != std::string::npos; }, 30s));
  CHECK(terminateAndFinish(agent, 30s) == 1);  // the line was never delivered: lost, and said so
  CHECK(receiver.messageCount() == 0);
  CHECK(agent.stderrText().find("1 message NOT delivered: 1 message not delivered within shutdown_timeout") !=
        std::string::npos);
}

TEST_CASE("syslog over TLS: shutdown while the handshake hangs gives up cleanly", "[e2e][syslog]") {
  // A listener that never accepts: the kernel completes the TCP handshake, the TLS one never comes.
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  struct sockaddr_in addr {};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  REQUIRE(::bind(fd, reinterpret_cast<struct sockaddr*>(&addr), sizeof addr) == 0);
  REQUIRE(::listen(fd, 16) == 0);
  REQUIRE(::getsockname(fd, reinterpret_cast<struct sockaddr*>(&addr), &len) == 0);
  Env env;
  const std::string url = "tls://localhost:" + std::to_string(ntohs(addr.sin_port));
  AgentProcess agent(env.agent({"--config", syslogConfig(env, url, "    tls: {ca_file: " + env.certs.ca_cert + "}\n",
                                                         "  shutdown_timeout: 1s\n")}));
  REQUIRE(agent.write(numberedLines(1, 10)));
  agent.closeStdin();
  // The drain gives up after shutdown_timeout and stops the transport mid-connection (it once crashed there).
  finish(agent, 60s);   // no sanitizer report, the loop closed clean
  ::close(fd);
}

TEST_CASE("syslog over TLS checks the receiver's name against tls.server_name", "[e2e][syslog]") {
  Env env;
  Receiver receiver(receiverOptions(env, Receiver::Transport::Tls));
  std::string tls = "    tls: {ca_file: " + env.certs.ca_cert + ", server_name: collector.example.com}\n";
  AgentProcess agent(env.agent({"--config", syslogConfig(env, receiver.url(), tls, "  shutdown_timeout: 1s\n")}));
  REQUIRE(agent.write("line\n"));
  REQUIRE(waitFor([&] { return agent.stderrText().find("certificate verify failed") != std::string::npos; }, 30s));
  CHECK(terminateAndFinish(agent, 30s) == 1);
  CHECK(receiver.messageCount() == 0);
}

TEST_CASE("syslog over TCP reconnects after the receiver restarts, and resends what it did not acknowledge",
          "[e2e][syslog]") {
  Env env;
  Receiver receiver(receiverOptions(env, Receiver::Transport::Tcp));
  AgentProcess agent(env.agent({"--config", syslogConfig(env, receiver.url(), "    max_in_flight: 1\n")}));
  REQUIRE(agent.write(numberedLines(1, 50)));
  REQUIRE(receiver.waitForMessages(50, 30s));
  receiver.goDown();
  // Written to a connection whose reader is gone: the receiver's TCP never acknowledges it, so it is resent.
  REQUIRE(agent.write(numberedLines(51, 50)));
  REQUIRE(waitFor([&] { return agent.stderrText().find("retrying batch") != std::string::npos; }, 30s));
  receiver.comeUp();
  CHECK(writeAndFinish(agent, numberedLines(101, 50), 60s) == 0);
  checkReceived(receiver, numbered(1, 150));
  CHECK(receiver.connections() >= 2);
  CHECK(agent.stderrText().find("reconnected to tcp://127.0.0.1:") != std::string::npos);
}

TEST_CASE("syslog over TCP resends a batch the receiver's TCP did not acknowledge in time, on a new connection",
          "[e2e][syslog]") {
  Env env;
  auto o = receiverOptions(env, Receiver::Transport::Tcp);
  o.stalled = true;  // accepts, then reads nothing: its window closes and the agent's bytes stay unacknowledged
  Receiver receiver(o);
  AgentProcess agent(env.agent({"--config", syslogConfig(env, receiver.url(), "    timeout: 1s\n    max_in_flight: 1\n")}));
  REQUIRE(agent.write(numberedLines(1, 1000, 200)));
  REQUIRE(waitFor([&] { return agent.stderrText().find("did not acknowledge a batch within 1s") != std::string::npos; }, 30s));
  receiver.resume();
  agent.closeStdin();
  CHECK(finish(agent, 60s) == 0);
  // At least once: every line arrived; what the first connection held may have come twice.
  auto want = splitLines(numberedLines(1, 1000, 200));
  waitFor([&] {
    auto b = receiver.bodies();
    return std::set<std::string>(b.begin(), b.end()).size() >= want.size();
  }, 10s);
  auto bodies = receiver.bodies();
  std::set<std::string> got(bodies.begin(), bodies.end());
  CHECK(got == std::set<std::string>(want.begin(), want.end()));
  CHECK(receiver.protocolErrors().empty());
  CHECK(receiver.connections() >= 2);
}

TEST_CASE("syslog with LF framing writes one message per line", "[e2e][syslog]") {
  Env env;
  auto o = receiverOptions(env, Receiver::Transport::Tcp);
  o.framing = Receiver::Framing::Lf;
  Receiver receiver(o);
  AgentProcess agent(env.agent({"--config", syslogConfig(env, receiver.url(), "    framing: lf\n")}));
  CHECK(writeAndFinish(agent, numberedLines(1, 300), 60s) == 0);
  checkReceived(receiver, numbered(1, 300));
}

TEST_CASE("syslog over UDP sends one datagram per message and splits long ones, counted", "[e2e][syslog]") {
  Env env;
  Receiver receiver(receiverOptions(env, Receiver::Transport::Udp));
  AgentProcess agent(env.agent({"--config", syslogConfig(env, receiver.url(), "    max_datagram: 1KiB\n")}));
  std::string longLine(2500, 'x');
  for (size_t i = 0; i < longLine.size(); i += 100) longLine[i] = static_cast<char>('a' + (i / 100) % 26);
  CHECK(writeAndFinish(agent, numberedLines(1, 100) + longLine + "\n", 60s) == 0);
  REQUIRE(receiver.waitForMessages(103, 10s));
  auto bodies = receiver.bodies();
  REQUIRE(bodies.size() == 103);  // 100 lines, then the long one in 3 datagrams
  CHECK(firstDifference(std::vector<std::string>(bodies.begin(), bodies.begin() + 100), numbered(1, 100)) == "");
  CHECK(bodies[100] + bodies[101] + bodies[102] == longLine);
  for (const auto& m : receiver.messages()) CHECK(m.size() <= 1024);
  checkHeaders(receiver.messages());
  CHECK(agent.stderrText().find("sink siem: 1 message sent as several datagrams") != std::string::npos);
}

TEST_CASE("syslog over UDP truncates long messages when told to, counted in the log and the metrics", "[e2e][syslog]") {
  Env env;
  Receiver receiver(receiverOptions(env, Receiver::Transport::Udp));
  AgentProcess agent(env.agent({"--config", syslogConfig(env, receiver.url(), "    max_datagram: 600\n    oversize: truncate\n",
                                                         "  shutdown_timeout: 20s\napi:\n  listen: 127.0.0.1:0\n")}));
  std::string longLine(3000, 'y');
  REQUIRE(agent.write("short\n" + longLine + "\n"));
  REQUIRE(receiver.waitForMessages(2, 10s));
  const uint16_t port = apiPort(agent);
  std::string metrics;
  REQUIRE(waitFor([&] {
    auto r = httpGet(port, "/metrics");
    metrics = r ? r->body : "";
    return metrics.find("event=\"truncated\"} 1") != std::string::npos;
  }, 10s));
  CHECK(metrics.find("sluice_component_plugin_events_total{component_id=\"siem\",component_kind=\"sink\","
                     "component_type=\"syslog\",event=\"truncated\"} 1") != std::string::npos);
  agent.closeStdin();
  CHECK(finish(agent, 60s) == 0);
  REQUIRE(receiver.waitForMessages(2, 10s));
  auto messages = receiver.messages();
  REQUIRE(messages.size() == 2);
  CHECK(syslogBody(messages[0]) == "short");
  CHECK(messages[1].size() == 600);
  CHECK(std::string(syslogBody(messages[1])) == longLine.substr(0, 600 - (messages[1].size() - syslogBody(messages[1]).size())));
  CHECK(agent.stderrText().find("sink siem: 1 message truncated to fit a datagram") != std::string::npos);
}
