// Many live-stream clients at once, and the logplex input's per-token rewriting.
#include "tests/e2e/admin_e2e.h"
#include "agent/net/http_wire.h"

using namespace sluice;
using namespace sluice::e2e;

TEST_CASE("twenty live-stream clients at once each get every line", "[e2e][api]") {
  ApiAgent a;
  auto& [env, drain, agent, port] = a;
  auto clients =
      openConnections(port, 20, [](int) { return "GET /logs?stream=true&filter=web HTTP/1.1\r\nHost: x\r\n\r\n"; });
  for (auto& c : clients) REQUIRE(c->readUntil("\r\n\r\n", 10s));
  REQUIRE(agent.write(numberedLines(0, 200)));
  for (auto& c : clients) {
    REQUIRE(c->readUntil("[web-1] line-00000199", 20s));
    for (size_t i = 0; i < 200; i += 37) {
      char want[32];
      snprintf(want, sizeof want, "line-%08zu\"", i);
      CHECK(c->buffer().find(want) != std::string::npos);
    }
  }
  auto metrics = httpGet(port, "/metrics");
  REQUIRE(metrics);
  CHECK(metrics->body.find("sluice_api_stream_clients 20\n") != std::string::npos);
  agent.closeStdin();
  CHECK(finish(agent) == 0);
  for (auto& c : clients) CHECK(c->readToEnd(10s));
}

TEST_CASE("the logplex input rewrites HOSTNAME and APP-NAME per token when asked", "[e2e][logplex]") {
  Env env;
  TestDrain::Options o = env.drainOptions();
  o.check_rfc5424 = false;
  TestDrain drain(o);
  std::string sources =
      "  - name: addons\n    type: logplex\n    listen: 127.0.0.1:0\n    tokens: [tok-a, tok-b]\n"
      "    token_names: {tok-a: addon-a}\n    rewrite: {hostname: \"{source}\", app_name: \"{token_name}\"}\n";
  AgentProcess agent(env.agent({"--config", adminConfig(env, drain, "", sources)}));
  uint16_t port = waitForPort([&] { return agent.stderrText(); }, "accepting application/logplex-1 POSTs on", 30s);
  REQUIRE(port != 0);
  const std::string msg = "<190>1 2013-03-27T20:02:24+00:00 hostname logtoken_foobar procid - - foo";
  const std::string body = std::to_string(msg.size()) + " " + msg;
  for (const char* token : {"tok-a", "tok-b"}) {
    auto r = rawRequest(port, "POST", "/logs",
                        {{"Authorization", "Basic " + base64Encode(std::string("token:") + token)},
                         {"Content-Type", "application/logplex-1"}},
                        body);
    REQUIRE(r);
    CHECK(r->status == 204);
  }
  CHECK(drain.messages() == std::vector<std::string>{
                                "<190>1 2013-03-27T20:02:24+00:00 addons addon-a procid - - foo",
                                "<190>1 2013-03-27T20:02:24+00:00 addons addons procid - - foo"});
  CHECK(terminateAndFinish(agent, 60s) == 0);
}
