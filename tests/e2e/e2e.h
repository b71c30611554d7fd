#pragma once
// What every end-to-end test needs: a temp dir, certificates made now, a drain, a config file, the agent.
#include <catch2/catch.hpp>
#include <unistd.h>

#include <csignal>
#include <map>
#include <set>
#include <string>

#include "tests/support/agent_process.h"
#include "tests/support/certs.h"
#include "tests/support/files.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_drain.h"
#include "tests/support/wait.h"

namespace sluice::e2e {

using namespace std::chrono_literals;

struct Env {
  TempDir dir{"sluice-e2e"};
  TestCerts certs;

  Env() {
    auto c = makeTestCerts(dir.path());
    REQUIRE(c.ok());
    certs = *c;
  }

  TestDrain::Options drainOptions() const {
    TestDrain::Options o;
    o.cert_file = certs.server_cert;
    o.key_file = certs.server_key;
    return o;
  }

  std::string writeFile(const std::string& name, const std::string& text) const {
    return sluice::writeFile(dir.file(name), text);
  }

  // A config: stdin → the drain, with `sink_extra` lines added under the sink (indented by the caller with 4
  // spaces) and `agent_extra` under agent:.
  std::string config(const TestDrain& drain, const std::string& sink_extra = "", std::string agent_extra = "",
                     const std::string& sources = "  - name: app\n    type: stdin\n") const {
    if (agent_extra.find("shutdown_timeout") == std::string::npos) agent_extra += "  shutdown_timeout: 20s\n";
    std::string yaml = "agent:\n  hostname: test-host\n  state_dir: " + dir.path() + "/state\n" + agent_extra + "sources:\n" + sources +
                       "sinks:\n  - name: drain\n    type: logplex_https\n    url: " + drain.url() +
                       "\n    tls:\n      ca_file: " + certs.ca_cert + "\n    retry:\n      initial: 50ms\n      max: 1s\n" +
                       sink_extra;
    return writeFile("sluice.yaml", yaml);
  }

  // A config of `agent` lines (indented by 2), one stdin source named app, and the `sinks` list's items.
  std::string stdinConfig(const std::string& agent, const std::string& sinks) const {
    return writeFile("sluice.yaml", "agent:\n" + agent + "sources:\n  - name: app\n    type: stdin\nsinks:\n" + sinks);
  }

  AgentProcess::Options agent(std::vector<std::string> args) const {
    AgentProcess::Options o;
    o.args = std::move(args);
    o.dir = dir.path();
    return o;
  }

  // Quick mode: `--drain URL` of `drain` (its certificate trusted through the test CA), then `args`.
  AgentProcess::Options quick(const TestDrain& drain, const std::vector<std::string>& args) const {
    std::vector<std::string> all{"--drain", drain.url()};
    all.insert(all.end(), args.begin(), args.end());
    auto o = agent(std::move(all));
    o.env["SSL_CERT_FILE"] = certs.ca_cert;
    return o;
  }
};

// An agent reading stdin into its drain (Env::config with `sink_extra` and `agent_extra`), started at once.
struct DrainAgent {
  explicit DrainAgent(const std::string& sink_extra = "", const std::string& agent_extra = "")
      : agent(env.agent({"--config", env.config(drain, sink_extra, agent_extra)})) {}
  Env env;
  TestDrain drain{env.drainOptions()};
  AgentProcess agent;
};

// The Release build of sluice (make build), for what only it shows as users see it: memory use and its return.
inline std::string releaseBinary() {
  std::string path = SLUICE_RELEASE_BINARY;
  if (access(path.c_str(), X_OK) != 0) FAIL("no Release binary at " << path << ": run `make build` (make test does)");
  return path;
}

// "" when equal, else where the two first differ (a readable failure instead of two 100,000-line dumps).
inline std::string firstDifference(const std::vector<std::string>& got, const std::vector<std::string>& want) {
  size_t n = std::min(got.size(), want.size());
  for (size_t i = 0; i < n; ++i) {
    if (got[i] != want[i]) {
      return "at " + std::to_string(i) + ": got '" + got[i].substr(0, 200) + "', want '" + want[i].substr(0, 200) + "'";
    }
  }
  if (got.size() != want.size()) {
    return "got " + std::to_string(got.size()) + " lines, want " + std::to_string(want.size()) +
           (got.size() > want.size() ? "; first extra: '" + got[n].substr(0, 200) + "'" : "; first missing: '" + want[n].substr(0, 200) + "'");
  }
  return "";
}

// Runs `agent` to its end and checks that it ended within the deadline and without sanitizer reports.
inline int finish(AgentProcess& agent, std::chrono::milliseconds deadline = 120s) {
  auto status = agent.wait(deadline);
  INFO("stderr: " << agent.stderrText().substr(0, 4000));
  REQUIRE(status.has_value());
  CHECK(agent.sanitizerReport().empty());
  CHECK(agent.stderrText().find("did not close cleanly") == std::string::npos);
  return *status;
}

// Runs an agent started with `opts` to its end (within 30s) and checks its exit status and that its stderr says
// `says`: a usage or start error.
inline void checkExitSaying(const AgentProcess::Options& opts, int status, std::string_view says) {
  AgentProcess agent(opts);
  CHECK(finish(agent, 30s) == status);
  CHECK(agent.stderrText().find(says) != std::string::npos);
}

// Writes `input` to the agent's stdin, closes it and runs the agent to its end (see finish()): its exit status.
inline int writeAndFinish(AgentProcess& agent, std::string_view input, std::chrono::milliseconds deadline = 120s) {
  REQUIRE(agent.write(input));
  agent.closeStdin();
  return finish(agent, deadline);
}

// Runs `sluice --help-plugin ARGS` and checks that it exits 0 and prints each of `wanted`.
inline void checkHelpPlugin(const Env& env, std::vector<std::string> args, const std::vector<std::string>& wanted) {
  args.insert(args.begin(), "--help-plugin");
  AgentProcess run(env.agent(args));
  CHECK(finish(run, 30s) == 0);
  const std::string out = run.stdoutText();
  for (const auto& text : wanted) {
    INFO("wanted: " << text);
    CHECK(out.find(text) != std::string::npos);
  }
}

// Sends SIGTERM and runs the agent to its end (see finish()): its exit status.
inline int terminateAndFinish(AgentProcess& agent, std::chrono::milliseconds deadline = 120s) {
  agent.signal(SIGTERM);
  return finish(agent, deadline);
}

// Kills the agent (kill -9) and checks that it ended so, with no sanitizer report before it.
inline void killNine(AgentProcess& agent) {
  agent.signal(SIGKILL);
  REQUIRE(agent.wait(10s) == 128 + SIGKILL);
  CHECK(agent.sanitizerReport().empty());
}

}  // namespace sluice::e2e
