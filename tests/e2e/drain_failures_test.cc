#include <thread>

#include "tests/e2e/e2e.h"

using namespace sluice;
using namespace sluice::e2e;

namespace {

// Every line arrived; a line that arrived twice did so in batches with the same Logplex-Frame-Id.
void checkAtLeastOnce(const TestDrain& drain, const std::string& input) {
  std::map<std::string, std::set<std::string>> ids_by_body;
  std::map<std::string, int> seen;
  for (const auto& [id, msgs] : drain.batches()) {
    for (const auto& m : msgs) {
      std::string body(syslogBody(m));
      ids_by_body[body].insert(id);
      seen[body] += 1;
    }
  }
  size_t missing = 0;
  for (const auto& line : splitLines(input)) {
    if (seen.count(line) == 0) ++missing;
  }
  CHECK(missing == 0);
  for (const auto& [body, count] : seen) {
    if (count > 1) {
      INFO("duplicated: " << body);
      CHECK(ids_by_body[body].size() == 1);
    }
  }
}

}  // namespace

TEST_CASE("503s, 429 with Retry-After, resets and an outage lose nothing, duplicates share a frame id", "[e2e]") {
  Env env;
  TestDrain drain(env.drainOptions());
  drain.failNext(3, 503);
  drain.failNext(1, 429, "1");
  drain.resetNext(2);
  drain.acceptThenResetNext(2);
  std::string config = env.config(drain, "    batch:\n      max_messages: 200\n");
  AgentProcess agent(env.agent({"--config", config}));
  std::string first = numberedLines(0, 5000, 50);
  REQUIRE(agent.write(first));
  REQUIRE(drain.waitForMessages(5000, 60s));

  // The drain goes down for a few seconds while lines keep coming.
  drain.goDown();
  std::string second = numberedLines(5000, 5000, 50);
  REQUIRE(agent.write(second));
  std::this_thread::sleep_for(3s);  // scenario time: the length of the outage, not a wait for a result
  drain.comeUp();
  agent.closeStdin();
  CHECK(finish(agent) == 0);
  CHECK(drain.protocolErrors().empty());
  checkAtLeastOnce(drain, first + second);

  // The 429's Retry-After: 1 was honoured: its batch came back no sooner than a second later.
  auto reqs = drain.requests();
  for (size_t i = 0; i < reqs.size(); ++i) {
    if (reqs[i].status != 429) continue;
    for (size_t j = i + 1; j < reqs.size(); ++j) {
      if (reqs[j].frame_id == reqs[i].frame_id) {
        CHECK(reqs[j].arrived - reqs[i].arrived >= 950ms);
        break;
      }
    }
  }
  // Each of the two answers lost after the drain accepted a batch made the agent send that batch again, with
  // the same frame id (the two may hit the same batch twice).
  size_t extra_copies = 0;
  std::map<std::string, int> accepted;
  for (const auto& [id, msgs] : drain.batches()) accepted[id] += 1;
  for (const auto& [id, n] : accepted) extra_copies += static_cast<size_t>(n - 1);
  CHECK(extra_copies == 2);
}

TEST_CASE("a 400 is rejected, not retried, logged with the body and counted as lost", "[e2e]") {
  Env env;
  TestDrain drain(env.drainOptions());
  drain.failNext(1, 400);
  AgentProcess agent(env.agent({"--config", env.config(drain, "    batch:\n      linger: 5s\n")}));
  REQUIRE(agent.write(numberedLines(0, 10)));
  agent.closeStdin();
  CHECK(finish(agent) == 1);
  auto reqs = drain.requests();
  REQUIRE(reqs.size() == 1);
  CHECK(reqs[0].status == 400);
  std::string err = agent.stderrText();
  CHECK(err.find("HTTP 400: scripted failure") != std::string::npos);
  CHECK(err.find("10 messages were lost") != std::string::npos);
  CHECK(err.find("SECRET") == std::string::npos);
}

TEST_CASE("a drain whose certificate is not signed by the configured CA fails verification with a clear error", "[e2e]") {
  Env env;
  TestDrain drain(env.drainOptions());
  std::string config = env.stdinConfig("  shutdown_timeout: 2s\n",
                                       "  - name: drain\n    type: logplex_https\n    url: " + drain.url() +
                                           "\n    tls:\n      ca_file: " + env.certs.wrong_ca_cert + "\n");
  AgentProcess agent(env.agent({"--config", config}));
  CHECK(writeAndFinish(agent, "hello\n", 30s) == 1);
  std::string err = agent.stderrText();
  CHECK(err.find("certificate verify failed") != std::string::npos);
  CHECK(err.find("SECRET") == std::string::npos);
  CHECK(drain.requests().empty());
}

TEST_CASE("quick mode trusts the CA of SSL_CERT_FILE, as OpenSSL's tools do", "[e2e]") {
  Env env;
  TestDrain drain(env.drainOptions());
  auto opts = env.agent({"--drain", drain.url()});
  opts.env["SSL_CERT_FILE"] = env.certs.ca_cert;
  AgentProcess agent(opts);
  REQUIRE(agent.write("hello\nworld\n"));
  agent.closeStdin();
  CHECK(finish(agent) == 0);
  CHECK(drain.bodies() == std::vector<std::string>{"hello", "world"});
  // The app name is the token (the add-on collector's convention) and the procid the source's name.
  CHECK(drain.messages()[0].find(" SECRET app - - hello") != std::string::npos);
}
