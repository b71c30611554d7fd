#include "tests/e2e/e2e.h"

using namespace sluice;
using namespace sluice::e2e;

namespace {

// Quick mode running `command` (after "--"), with nothing on stdin.
AgentProcess::Options quick(const Env& env, const TestDrain& drain, std::vector<std::string> command) {
  command.insert(command.begin(), "--");
  auto o = env.quick(drain, command);
  o.close_stdin = true;
  return o;
}

}  // namespace

TEST_CASE("exec quick mode forwards stdout as info and stderr as err, and exits with the child's status", "[e2e]") {
  Env env;
  TestDrain drain(env.drainOptions());
  AgentProcess agent(quick(env, drain, {"/bin/sh", "-c", "echo to-stdout; echo to-stderr >&2; exit 3"}));
  CHECK(finish(agent) == 3);
  REQUIRE(drain.messageCount() == 2);
  std::map<std::string, std::string> by_body;
  for (const auto& m : drain.messages()) by_body[std::string(syslogBody(m))] = m;
  REQUIRE(by_body.count("to-stdout") == 1);
  REQUIRE(by_body.count("to-stderr") == 1);
  CHECK(by_body["to-stdout"].rfind("<190>1 ", 0) == 0);  // local7.info
  CHECK(by_body["to-stderr"].rfind("<187>1 ", 0) == 0);  // local7.err
  CHECK(by_body["to-stdout"].find(" SECRET sh - - ") != std::string::npos);  // procid: the command's name
}

TEST_CASE("exec: a child killed by a signal gives 128 + the signal", "[e2e]") {
  Env env;
  TestDrain drain(env.drainOptions());
  AgentProcess agent(quick(env, drain, {"/bin/sh", "-c", "echo bye; kill -KILL $$"}));
  CHECK(finish(agent) == 137);
  CHECK(drain.bodies() == std::vector<std::string>{"bye"});
}

TEST_CASE("exec: SIGTERM is forwarded to the child, whose last words are delivered", "[e2e]") {
  Env env;
  TestDrain drain(env.drainOptions());
  AgentProcess agent(quick(env, drain,
                           {"/bin/sh", "-c", "trap 'echo got-TERM; exit 0' TERM; echo ready; while true; do sleep 0.05; done"}));
  REQUIRE(drain.waitForMessages(1, 30s));
  CHECK(terminateAndFinish(agent, 30s) == 0);
  CHECK(drain.bodies() == std::vector<std::string>{"ready", "got-TERM"});
}

TEST_CASE("exec: SIGHUP and SIGINT are forwarded too", "[e2e]") {
  Env env;
  TestDrain drain(env.drainOptions());
  AgentProcess agent(quick(env, drain,
                           {"/bin/sh", "-c",
                            "trap 'echo got-HUP' HUP; trap 'echo got-INT; exit 5' INT; echo ready; "
                            "while true; do sleep 0.05; done"}));
  REQUIRE(drain.waitForMessages(1, 30s));
  agent.signal(SIGHUP);
  REQUIRE(drain.waitForMessages(2, 30s));
  agent.signal(SIGINT);
  CHECK(finish(agent, 30s) == 5);
  CHECK(drain.bodies() == std::vector<std::string>{"ready", "got-HUP", "got-INT"});
}

TEST_CASE("exec: a command that cannot be started is a clear error and exit 127", "[e2e]") {
  Env env;
  TestDrain drain(env.drainOptions());
  checkExitSaying(quick(env, drain, {"/nonexistent/program", "--flag"}), 127,
                  "cannot start '/nonexistent/program': no such file or directory");
}

TEST_CASE("exec: a lot of output on both pipes arrives complete", "[e2e]") {
  Env env;
  TestDrain drain(env.drainOptions());
  AgentProcess agent(quick(env, drain, {"/bin/sh", "-c", "seq 1 20000; seq 20001 30000 >&2"}));
  CHECK(finish(agent) == 0);
  std::set<std::string> bodies;
  for (const auto& b : drain.bodies()) bodies.insert(b);
  CHECK(bodies.size() == 30000);
  CHECK(drain.messageCount() == 30000);
}
