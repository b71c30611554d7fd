// Floods the agent's listeners cannot turn into an outage: idle and slow-loris connections do not lock out the
// health checks, and the logplex input stays within its share of the descriptors, refusing (counted) past it.
#include "tests/e2e/admin_e2e.h"
#include "agent/net/http_wire.h"

using namespace sluice;
using namespace sluice::e2e;

TEST_CASE("with 128 idle and 128 slow-loris connections held, /healthz and /readyz still answer", "[e2e][api]") {
  ApiAgent a;
  auto& [env, drain, agent, port] = a;
  // Every second one starts a request and never finishes it.
  const std::string slow = "GET /logs HTTP/1.1\r\nHost: x\r\nX-Slow: ";
  auto held = openConnections(port, 256, [&](int i) { return i % 2 == 1 ? slow : ""; });
  for (const char* path : {"/healthz", "/readyz", "/healthz"}) {
    auto r = rawRequest(port, "GET", path, {}, "", 10s);
    REQUIRE(r);
    CHECK(r->status == 200);
  }
  auto metrics = httpGet(port, "/metrics");
  REQUIRE(metrics);
  INFO(metrics->body);
  CHECK(metricValue(metrics->body, "sluice_api_connections_turned_away_total{reason=\"evicted\"}") >= 128);
  CHECK(metricValue(metrics->body, "sluice_api_connections") <= 128);
  agent.closeStdin();
  CHECK(finish(agent) == 0);
}

TEST_CASE("the logplex input refuses connections past max_connections and counts them", "[e2e][logplex]") {
  Env env;
  TestDrain drain(env.drainOptions());
  drain.setDelay(60s);  // POSTs are answered only once delivered: they stay busy
  std::string sources =
      "  - name: addons\n    type: logplex\n    listen: 127.0.0.1:0\n    tokens: [tok]\n    max_connections: 2\n";
  AgentProcess agent(env.agent({"--config", adminConfig(env, drain, "", sources, "    batch: {linger: 10ms}\n")}));
  uint16_t api = apiPort(agent);
  uint16_t port = logplexPort(agent);
  const std::string msg = "<190>1 2013-03-27T20:02:24+00:00 hostname app procid - - foo";
  const std::string post = "POST /logs HTTP/1.1\r\nHost: x\r\nContent-Type: application/logplex-1\r\nAuthorization: Basic " +
                           base64Encode("token:tok") + "\r\nContent-Length: " + std::to_string(msg.size() + 3) +
                           "\r\n\r\n" + std::to_string(msg.size()) + " " + msg;
  auto busy = openConnections(port, 2, [&](int) { return post; });
  REQUIRE(waitFor([&] { return drain.requestsArrived() >= 1; }, 20s));
  RawConnection third(port);
  CHECK(third.readToEnd(10s));  // closed at once: both places hold a request being answered
  CHECK(third.buffer().empty());
  REQUIRE(waitFor(
      [&] {
        auto m = httpGet(api, "/metrics");
        return m && metricValue(m->body, "sluice_component_errors_total{component_id=\"addons\",component_kind="
                                         "\"source\",component_type=\"logplex\",error_type=\"connection_refused\"}") >= 1;
      },
      10s));
  CHECK(agent.stderrText().find("a new connection was refused") != std::string::npos);
}

TEST_CASE("the logplex input takes at most half the open-file limit in connections", "[e2e][logplex]") {
  Env env;
  TestDrain drain(env.drainOptions());
  std::string sources = "  - name: addons\n    type: logplex\n    listen: 127.0.0.1:0\n    tokens: [tok]\n";
  AgentProcess::Options o = env.agent({"--nofile=200:200", SLUICE_BINARY, "--config", adminConfig(env, drain, "", sources)});
  o.binary = "/usr/bin/prlimit";
  AgentProcess agent(o);
  logplexPort(agent);
  CHECK(agent.stderrText().find("(at most 100 connections)") != std::string::npos);
}

TEST_CASE("64 live-stream clients that never read hold at most their stream_buffer each, and give it back", "[e2e][api]") {
  Env env;
  TestDrain drain(env.drainOptions());
  auto o = env.agent({"--config", adminConfig(env, drain, "  max_clients: 64\n  stream_buffer: 512KiB\n")});
  o.binary = releaseBinary();  // glibc's malloc, as users run it
  AgentProcess agent(o);
  uint16_t port = apiPort(agent);
  const std::string filler(180, 'x');
  auto lines = [&](int from, int count) {
    std::string s;
    for (int i = from; i < from + count; ++i) s += "line-" + std::to_string(i) + " " + filler + "\n";
    return s;
  };
  // The same load first without clients, so that the baseline holds the ring and the pipeline at their peak.
  for (int round = 0; round < 10; ++round) {
    REQUIRE(agent.write(lines(round * 10000, 10000)));
    REQUIRE(waitForRecent(port, 10000));
  }
  const long baseline_kb = agent.currentRssKb();
  const std::string stream = "GET /logs?stream=true&n=10000 HTTP/1.1\r\nHost: x\r\n\r\n";
  auto clients = openConnections(port, 64, [&](int) { return stream; }, 4096);
  long peak_kb = 0;
  for (int round = 0; round < 10; ++round) {
    REQUIRE(agent.write(lines(100000 + round * 10000, 10000)));
    REQUIRE(waitForRecent(port, 10000));
    peak_kb = std::max(peak_kb, agent.currentRssKb());
  }
  const long growth_kb = peak_kb - baseline_kb;
  WARN("baseline " << baseline_kb << " KiB, peak " << peak_kb << " KiB, growth " << growth_kb << " KiB");
  CHECK(growth_kb <= 64 * 512 + 12 * 1024);  // the slack: heap fragmentation around the pipeline's batches
  auto metrics = httpGet(port, "/metrics");
  REQUIRE(metrics);
  CHECK(metrics->body.find("sluice_api_stream_clients 64\n") != std::string::npos);
  clients.clear();
  long after_kb = 0;
  bool back = waitFor(
      [&] {
        after_kb = agent.currentRssKb();
        return after_kb <= baseline_kb + 8 * 1024;
      },
      20s);
  WARN("after the clients left: " << after_kb << " KiB");
  CHECK(back);
  agent.closeStdin();
  CHECK(finish(agent) == 0);
}
