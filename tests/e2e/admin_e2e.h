#pragma once
// Shared by the admin API, `sluice logs` and logplex input tests: an agent with the API on an ephemeral port.
#include <algorithm>
#include <filesystem>
#include <functional>
#include <memory>
#include <regex>

#include "tests/e2e/e2e.h"
#include "tests/support/raw_http.h"

namespace sluice::e2e {

// Lines for the end of a config's agent: section that add the admin API on an ephemeral port (api: follows agent:).
inline const std::string kAgentWithApi = "  shutdown_timeout: 20s\napi:\n  listen: 127.0.0.1:0\n";

// "api:" with an ephemeral port plus `extra` (indented by 2), then the sources and a sink to `drain`.
inline std::string adminConfig(const Env& env, const TestDrain& drain, const std::string& api_extra = "",
                               const std::string& sources = "  - name: web-1\n    type: stdin\n",
                               const std::string& sink_extra = "") {
  std::string yaml = "agent:\n  hostname: test-host\n  state_dir: " + env.dir.path() +
                     "/state\n  shutdown_timeout: 20s\napi:\n  listen: 127.0.0.1:0\n" + api_extra + "sources:\n" +
                     sources + "sinks:\n  - name: drain\n    type: logplex_https\n    url: " + drain.url() +
                     "\n    tls:\n      ca_file: " + env.certs.ca_cert +
                     "\n    retry:\n      initial: 50ms\n      max: 500ms\n" + sink_extra;
  return env.writeFile("sluice.yaml", yaml);
}

inline uint16_t apiPort(AgentProcess& agent) {
  uint16_t port = waitForPort([&] { return agent.stderrText(); }, "admin API listening on", std::chrono::seconds(30));
  INFO(agent.stderrText());
  REQUIRE(port != 0);
  return port;
}

// Waits until GET /logs?n=... shows `count` lines.
inline bool waitForRecent(uint16_t port, size_t count, std::chrono::milliseconds deadline = std::chrono::seconds(30)) {
  return waitFor(
      [&] {
        auto r = httpGet(port, "/logs?n=" + std::to_string(count + 1));
        return r && r->status == 200 && splitLines(r->body).size() >= count;
      },
      deadline);
}

// An agent with the admin API on an ephemeral port (adminConfig's arguments), its drain, and the API's port once
// it listens. Tests bind its parts: `auto& [env, drain, agent, port] = api;`.
struct ApiAgent {
  explicit ApiAgent(const std::string& api_extra = "", const std::string& sources = "  - name: web-1\n    type: stdin\n")
      : agent(env.agent({"--config", adminConfig(env, drain, api_extra, sources)})), port(apiPort(agent)) {}
  // Writes `lines` to the agent's stdin and waits until GET /logs shows as many lines (stdin the only source).
  void writeShown(const std::string& lines) {
    REQUIRE(agent.write(lines));
    REQUIRE(waitForRecent(port, splitLines(lines).size()));
  }
  Env env;
  TestDrain drain{env.drainOptions()};
  AgentProcess agent;
  uint16_t port;
};

// A command of the sluice binary (`logs`, `health`) run in its own folder under the test's, stdin at EOF.
inline AgentProcess::Options cliProcess(const Env& env, const std::string& name, std::vector<std::string> args) {
  AgentProcess::Options o;
  o.args = std::move(args);
  o.dir = env.dir.path() + "/" + name;
  o.close_stdin = true;
  std::filesystem::create_directories(o.dir);
  return o;
}

inline uint16_t logplexPort(AgentProcess& agent) {
  uint16_t port = waitForPort([&] { return agent.stderrText(); }, "accepting application/logplex-1 POSTs on",
                              std::chrono::seconds(30));
  INFO(agent.stderrText());
  REQUIRE(port != 0);
  return port;
}

// `count` connections to `port`, held open, each having sent `request(i)` (nothing when it is ""); with `rcvbuf`
// > 0 each has a receive buffer that small (a slow reader).
inline std::vector<std::unique_ptr<RawConnection>> openConnections(uint16_t port, int count,
                                                                   const std::function<std::string(int)>& request,
                                                                   int rcvbuf = 0) {
  std::vector<std::unique_ptr<RawConnection>> connections;
  for (int i = 0; i < count; ++i) {
    connections.push_back(std::make_unique<RawConnection>(port, rcvbuf));
    REQUIRE(connections.back()->ok());
    const std::string bytes = request(i);
    if (!bytes.empty()) REQUIRE(connections.back()->send(bytes));
  }
  return connections;
}

// The messages of a dump, without "TIMESTAMP [SOURCE] ".
inline std::vector<std::string> dumpMessages(const std::string& body) {
  std::vector<std::string> out;
  for (const auto& l : splitLines(body)) {
    size_t close = l.find("] ");
    out.push_back(close == std::string::npos ? l : l.substr(close + 2));
  }
  return out;
}

// A sample's value in Prometheus text: the first line that starts with `series` (a name, or a name and the start
// of its labels: `x{component_id="drain"`) and holds each of `labels`; -1 when no line does.
inline double metricValue(const std::string& text, const std::string& series,
                          const std::vector<std::string>& labels = {}) {
  for (const auto& line : splitLines(text)) {
    if (line.rfind(series, 0) != 0) continue;
    const char next = line.size() > series.size() ? line[series.size()] : '\0';
    if (series.find('{') == std::string::npos && next != '{' && next != ' ') continue;  // a longer name
    bool all = true;
    for (const auto& l : labels) all = all && line.find(l) != std::string::npos;
    if (all) return std::stod(line.substr(line.rfind(' ') + 1));
  }
  return -1;
}

// The same, read from GET /metrics of the admin API on `port`; -1 when it does not answer.
inline double metric(uint16_t port, const std::string& series, const std::vector<std::string>& labels = {}) {
  auto r = httpGet(port, "/metrics");
  return r && r->status == 200 ? metricValue(r->body, series, labels) : -1;
}

inline std::string sseLogs(const std::string& stream_text) {
  return stream_text;
}

}  // namespace sluice::e2e
