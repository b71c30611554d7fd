// The syslog sink against a real syslog-ng (Debian's syslog-ng-core) with a TLS source, when it is installed.
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <iostream>

#include "tests/e2e/e2e.h"

using namespace sluice;
using namespace sluice::e2e;

namespace {

std::string findSyslogNg() {
  for (const char* p : {"/usr/sbin/syslog-ng", "/usr/bin/syslog-ng", "/usr/local/sbin/syslog-ng"}) {
    if (::access(p, X_OK) == 0) return p;
  }
  return "";
}

// A port that was free a moment ago (syslog-ng binds it itself).
uint16_t freePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in addr {};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  REQUIRE(::bind(fd, reinterpret_cast<struct sockaddr*>(&addr), sizeof addr) == 0);
  REQUIRE(::getsockname(fd, reinterpret_cast<struct sockaddr*>(&addr), &len) == 0);
  ::close(fd);
  return ntohs(addr.sin_port);
}


}  // namespace

TEST_CASE("syslog over TLS to a real syslog-ng: it stores every message with its header fields", "[e2e][syslog]") {
  std::string binary = findSyslogNg();
  if (binary.empty()) {
    std::cerr << "SKIPPED: syslog-ng is not installed (Debian package syslog-ng-core; `make deps` installs it)\n";
    WARN("SKIPPED: syslog-ng is not installed (Debian package syslog-ng-core)");
    return;
  }
  Env env;
  std::string ng = env.dir.file("syslog-ng");
  std::filesystem::create_directories(ng);
  uint16_t port = freePort();
  std::string out = ng + "/stored.txt";
  std::string conf = "@version: 3.38\n"
                     "options { use_dns(no); use_fqdn(no); keep_hostname(yes); };\n"
                     "source s_tls { syslog(ip(127.0.0.1) port(" + std::to_string(port) + ") transport(\"tls\")\n"
                     "  tls(key-file(\"" + env.certs.server_key + "\") cert-file(\"" + env.certs.server_cert + "\")\n"
                     "      peer-verify(optional-untrusted))); };\n"
                     "destination d_file { file(\"" + out + "\" template(\"$HOST|$PROGRAM|$PID|$MSGID|$MSG\\n\")); };\n"
                     "log { source(s_tls); destination(d_file); };\n";
  writeFile(ng + "/syslog-ng.conf", conf);
  // In the foreground, as a child, with its control socket, persist and pid files in the temp dir.
  AgentProcess::Options o;
  o.binary = binary;
  o.dir = ng;
  o.close_stdin = true;
  o.args = {"-F", "--no-caps", "-e", "-f", ng + "/syslog-ng.conf", "-R", ng + "/persist", "-c", ng + "/ctl",
            "-p", ng + "/pid"};
  AgentProcess server(o);
  REQUIRE(waitFor([&] { return server.stderrText().find("Accepting connections") != std::string::npos || !server.running(); }, 30s));
  INFO("syslog-ng: " << server.stderrText());
  REQUIRE(server.running());

  std::vector<std::string> lines;
  for (int i = 1; i <= 200; ++i) lines.push_back("message " + std::to_string(i) + " with \"quotes\", [brackets] and caf\xc3\xa9");
  std::string input;
  for (const auto& l : lines) input += l + "\n";
  std::string sink = "  - name: siem\n    type: syslog\n    url: tls://localhost:" + std::to_string(port) +
                     "\n    tls: {ca_file: " + env.certs.ca_cert + "}\n    message: {app_name: myapp, msgid: web}\n" +
                     "    batch: {linger: 10ms}\n";
  std::string config = env.stdinConfig("  hostname: web-01\n", sink);
  AgentProcess agent(env.agent({"--config", config}));
  CHECK(writeAndFinish(agent, input, 60s) == 0);

  REQUIRE(waitFor([&] { return splitLines(readFile(out)).size() >= lines.size(); }, 30s));
  std::vector<std::string> want;
  for (const auto& l : lines) want.push_back("web-01|myapp|app|web|" + l);
  CHECK(firstDifference(splitLines(readFile(out)), want) == "");
  server.signal(SIGTERM);
  CHECK(server.wait(30s).has_value());
}
