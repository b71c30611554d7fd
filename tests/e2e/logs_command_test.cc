// `sluice logs` against a running agent.
#include "tests/e2e/admin_e2e.h"
#include "agent/core/clock.h"

using namespace sluice;
using namespace sluice::e2e;

TEST_CASE("sluice logs prints the last lines, filters, reads a window, and follows new lines", "[e2e][api]") {
  ApiAgent a("  archive: true\n");
  auto& [env, drain, agent, port] = a;
  const std::string api = "127.0.0.1:" + std::to_string(port);
  const int64_t t0 = wallMicros();
  a.writeShown("alpha\nbeta\ngamma\n");

  AgentProcess last2(cliProcess(env, "last2", {"logs", "-n", "2", "--api", api}));
  CHECK(finish(last2, 30s) == 0);
  CHECK(dumpMessages(last2.stdoutText()) == std::vector<std::string>{"beta", "gamma"});
  CHECK(last2.stdoutText().find(" [web-1] beta\n") != std::string::npos);

  AgentProcess filtered(cliProcess(env, "filtered", {"logs", "--filter", "nobody", "--api", api}));
  CHECK(finish(filtered, 30s) == 0);
  CHECK(filtered.stdoutText().empty());

  TimestampFormatter ts;
  AgentProcess window(cliProcess(env, "window", {"logs", "--after", ts.format(t0), "--before", ts.format(wallMicros()),
                                                 "-F", "json", "--api", api}));
  CHECK(finish(window, 30s) == 0);
  auto objects = splitLines(window.stdoutText());
  REQUIRE(objects.size() == 3);
  CHECK(objects[0].find("\"message\":\"alpha\"") != std::string::npos);

  AgentProcess raw(cliProcess(env, "raw", {"logs", "-n", "1", "-F", "raw", "--api", api}));
  CHECK(finish(raw, 30s) == 0);
  CHECK(raw.stdoutText() == "gamma\n");

  AgentProcess follow(cliProcess(env, "follow", {"logs", "-n", "1", "-f", "--api", api}));
  REQUIRE(waitFor([&] { return follow.stdoutText().find("[web-1] gamma") != std::string::npos; }, 20s));
  REQUIRE(agent.write("delta\n"));
  REQUIRE(waitFor([&] { return follow.stdoutText().find("[web-1] delta") != std::string::npos; }, 20s));
  CHECK(follow.stdoutText().find("beta") == std::string::npos);

  // The agent goes away: the follower keeps trying, and says so.
  agent.closeStdin();
  CHECK(finish(agent) == 0);
  REQUIRE(waitFor([&] { return follow.stderrText().find("reconnecting") != std::string::npos; }, 20s));
  CHECK(follow.running());
  follow.signal(SIGTERM);
  follow.wait(10s);
  CHECK(follow.sanitizerReport().empty());
}

TEST_CASE("sluice logs says when the agent cannot be reached, or the API refuses", "[e2e][api]") {
  Env env;
  AgentProcess down(cliProcess(env, "down", {"logs", "--api", "127.0.0.1:1"}));
  CHECK(finish(down, 30s) == 1);
  CHECK(down.stderrText().find("cannot reach the agent's API at 127.0.0.1:1") != std::string::npos);

  TestDrain drain(env.drainOptions());
  AgentProcess agent(env.agent({"--config", adminConfig(env, drain, "  token: tok\n")}));
  uint16_t port = apiPort(agent);
  AgentProcess denied(cliProcess(env, "denied", {"logs", "--api", "127.0.0.1:" + std::to_string(port)}));
  CHECK(finish(denied, 30s) == 1);
  CHECK(denied.stderrText().find("401") != std::string::npos);
  auto o = cliProcess(env, "allowed", {"logs", "--api", "http://127.0.0.1:" + std::to_string(port)});
  o.env["SLUICE_API_TOKEN"] = "tok";
  AgentProcess allowed(o);
  CHECK(finish(allowed, 30s) == 0);

  AgentProcess usage(cliProcess(env, "usage", {"logs", "-F", "xml"}));
  CHECK(finish(usage, 30s) == 2);
  agent.closeStdin();
  CHECK(finish(agent) == 0);
}

TEST_CASE("format=clf gives the access-log lines alone, for GoAccess, from the API and from sluice logs", "[e2e][api]") {
  ApiAgent a("  archive: true\n");
  auto& [env, drain, agent, port] = a;
  const std::string api = "127.0.0.1:" + std::to_string(port);
  const int64_t t0 = wallMicros();
  const std::string clf1 = "203.0.113.7 - - [06/Feb/2020:07:59:22 +0100] \"GET /aget/to/your/beautiful/website -\" 200 1453";
  const std::string clf2 =
      "198.51.100.2 - alice [06/Feb/2020:08:00:01 +0100] \"POST /api HTTP/1.1\" 503 - \"-\" \"curl/8.0\"";
  a.writeShown(clf1 + "\nthe app started\n" + clf2 + "\n");

  AgentProcess dump(cliProcess(env, "dump", {"logs", "-F", "clf", "--api", api}));
  CHECK(finish(dump, 30s) == 0);
  CHECK(dump.stdoutText() == clf1 + "\n" + clf2 + "\n");

  TimestampFormatter ts;
  AgentProcess window(cliProcess(env, "window", {"logs", "--after", ts.format(t0), "--before", ts.format(wallMicros()),
                                                 "-F", "clf", "--api", api}));
  CHECK(finish(window, 30s) == 0);
  CHECK(window.stdoutText() == clf1 + "\n" + clf2 + "\n");

  AgentProcess follow(cliProcess(env, "follow", {"logs", "-n", "3", "-f", "-F", "clf", "--api", api}));
  REQUIRE(waitFor([&] { return follow.stdoutText() == clf1 + "\n" + clf2 + "\n"; }, 20s));
  follow.signal(SIGTERM);
  follow.wait(10s);
  agent.closeStdin();
  CHECK(finish(agent) == 0);
}

TEST_CASE("sluice health (and health --ready) exits 0 while the agent is healthy and 1 when it cannot be reached", "[e2e][api]") {
  Env env;
  TestDrain drain(env.drainOptions());
  AgentProcess agent(env.agent({"--config", adminConfig(env, drain, "")}));
  const std::string api = "127.0.0.1:" + std::to_string(apiPort(agent));
  AgentProcess healthy(cliProcess(env, "healthy", {"health", "--api", api}));
  CHECK(finish(healthy, 30s) == 0);
  CHECK(healthy.stdoutText().find("\"status\":\"ok\"") != std::string::npos);
  // --ready: /readyz, the probe a drain's outage does not fail.
  AgentProcess ready(cliProcess(env, "ready", {"health", "--ready", "--api", api}));
  CHECK(finish(ready, 30s) == 0);
  CHECK(ready.stdoutText() == "ready\n");
  agent.closeStdin();
  CHECK(finish(agent) == 0);
  AgentProcess gone(cliProcess(env, "gone", {"health", "--api", api}));
  CHECK(finish(gone, 30s) == 1);
  CHECK(gone.stderrText().find("cannot reach the agent's API") != std::string::npos);
}
