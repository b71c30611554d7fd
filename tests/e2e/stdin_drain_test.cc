#include <algorithm>

#include "tests/e2e/e2e.h"

using namespace sluice;
using namespace sluice::e2e;

TEST_CASE("100,000 lines through stdin arrive at the HTTPS drain exactly once and in order", "[e2e]") {
  DrainAgent a("    max_in_flight: 1\n");
  const std::string input = numberedLines(0, 100000, 60);
  CHECK(writeAndFinish(a.agent, input) == 0);
  CHECK(a.drain.protocolErrors().empty());
  CHECK(firstDifference(a.drain.bodies(), splitLines(input)) == "");
  // Every message carries the configured header fields.
  auto msgs = a.drain.messages();
  REQUIRE(!msgs.empty());
  CHECK(msgs.front().find(" test-host SECRET app - - line-00000000") != std::string::npos);
  CHECK(msgs.front().rfind("<190>1 ", 0) == 0);
}

TEST_CASE("with four batches in flight every line still arrives exactly once", "[e2e]") {
  DrainAgent a("    max_in_flight: 4\n    batch:\n      max_messages: 500\n");
  const std::string input = numberedLines(0, 50000, 40);
  CHECK(writeAndFinish(a.agent, input) == 0);
  CHECK(a.drain.protocolErrors().empty());
  // Batches may overtake each other by at most three; put them back in order by the frame id's sequence.
  auto batches = a.drain.batches();
  std::sort(batches.begin(), batches.end(), [](const auto& a, const auto& b) {
    return std::stoull(a.first.substr(a.first.rfind('-') + 1)) < std::stoull(b.first.substr(b.first.rfind('-') + 1));
  });
  std::vector<std::string> bodies;
  for (auto& [id, msgs] : batches) {
    for (auto& m : msgs) bodies.emplace_back(syslogBody(m));
  }
  CHECK(firstDifference(bodies, splitLines(input)) == "");
}

TEST_CASE("a line longer than max_line_bytes arrives split into several messages and is counted", "[e2e]") {
  DrainAgent a("", "  max_line_bytes: 4KiB\n");
  std::string big(10000, 'z');
  CHECK(writeAndFinish(a.agent, "before\n" + big + "\nafter\n") == 0);
  auto bodies = a.drain.bodies();
  REQUIRE(bodies.size() == 5);
  CHECK(bodies[0] == "before");
  CHECK(bodies[1].size() == 4096);
  CHECK(bodies[1] + bodies[2] + bodies[3] == big);
  CHECK(bodies[4] == "after");
}

TEST_CASE("invalid UTF-8, empty lines and CRLF endings pass through as bytes", "[e2e]") {
  DrainAgent a;
  CHECK(writeAndFinish(a.agent, std::string("\xff\xfe bad \xc3\n\ncrlf\r\n\xc3\xa9t\xc3\xa9\n", 22)) == 0);
  CHECK(a.drain.bodies() == std::vector<std::string>{"\xff\xfe bad \xc3", "", "crlf", "\xc3\xa9t\xc3\xa9"});
}

TEST_CASE("stdin from a regular file is read to its end", "[e2e]") {
  Env env;
  TestDrain drain(env.drainOptions());
  std::string input = numberedLines(0, 20000, 30);
  auto opts = env.agent({"--config", env.config(drain, "    max_in_flight: 1\n")});
  opts.stdin_file = env.writeFile("input.txt", input);
  AgentProcess agent(opts);
  CHECK(finish(agent) == 0);
  CHECK(firstDifference(drain.bodies(), splitLines(input)) == "");
}

TEST_CASE("SIGTERM stops reading, delivers what was read and exits 0", "[e2e]") {
  DrainAgent a;
  REQUIRE(a.agent.write(numberedLines(0, 1000)));
  REQUIRE(a.drain.waitForMessages(1000, 30s));
  CHECK(terminateAndFinish(a.agent, 30s) == 0);
  CHECK(a.drain.messageCount() == 1000);
}

TEST_CASE("when the drain never answers, EOF waits shutdown_timeout, then exits 1 and says how many were lost", "[e2e]") {
  Env env;
  TestDrain drain(env.drainOptions());
  drain.goDown();
  std::string config = env.config(drain, "", "  shutdown_timeout: 1s\n");
  AgentProcess agent(env.agent({"--config", config}));
  CHECK(writeAndFinish(agent, numberedLines(0, 42), 30s) == 1);
  std::string err = agent.stderrText();
  CHECK(err.find("42 messages were lost") != std::string::npos);
  CHECK(err.find("SECRET") == std::string::npos);
}
