// External sink plugins loaded from agent.plugin_dirs: the example of plugins/examples/ and broken libraries.
#include <filesystem>
#include <sstream>

#include "tests/e2e/e2e.h"

using namespace sluice;
using namespace sluice::e2e;

namespace {

const std::string kExampleDir = std::string(SLUICE_BUILD_DIR) + "/plugins";


std::string counterConfig(const Env& env, const std::string& plugin_dir, const std::string& out,
                          const std::string& extra = "") {
  return env.stdinConfig("  hostname: h\n  plugin_dirs: [" + plugin_dir + "]\n",
                         "  - name: counts\n    type: frame_counter\n    path: " + out +
                             "\n    batch: {max_messages: 10, linger: 10ms}\n"
                             "    retry: {initial: 10ms, max: 50ms}\n" + extra);
}

}  // namespace

TEST_CASE("the example external sink, loaded from plugin_dirs, gets every frame, and the core retries for it",
          "[e2e][plugin]") {
  Env env;
  std::string out = env.dir.file("counts.txt");
  AgentProcess agent(env.agent({"--config", counterConfig(env, kExampleDir, out, "    fail_first: 3\n")}));
  CHECK(writeAndFinish(agent, numberedLines(1, 95), 60s) == 0);
  // One line per delivered batch: "<seq> <frame id> <frames> <bytes>"; the three refused attempts were retried
  // by the core (batch.max_messages applies to the plugin like to any sink).
  size_t frames = 0;
  std::set<std::string> ids;
  for (const std::string& line : splitLines(readFile(out))) {
    std::istringstream in(line);
    uint64_t seq = 0, n = 0, bytes = 0;
    std::string id;
    REQUIRE(static_cast<bool>(in >> seq >> id >> n >> bytes));
    CHECK(n <= 10);
    CHECK(ids.insert(id).second);
    frames += n;
  }
  CHECK(frames == 95);
  CHECK(agent.stderrText().find("fail_first: retry on purpose") != std::string::npos);
  CHECK(agent.stderrText().find("95 messages delivered") != std::string::npos);
}

TEST_CASE("sluice --help-plugin with --config describes an external plugin's options", "[e2e][plugin]") {
  Env env;
  std::string config = counterConfig(env, kExampleDir, env.dir.file("x"));
  checkHelpPlugin(env, {"frame_counter", "--config", config},
                  {"sink type 'frame_counter'", "fail_first", "Options of every sink"});
}

TEST_CASE("a plugin built for another ABI version is a config error naming the file", "[e2e][plugin]") {
  Env env;
  std::string dir = env.dir.file("plugins");
  std::filesystem::create_directories(dir);
  std::filesystem::copy_file(std::string(SLUICE_BUILD_DIR) + "/test_plugins/abi_mismatch.so", dir + "/old.so");
  std::string config = counterConfig(env, kExampleDir + ", " + dir, env.dir.file("x"));
  AgentProcess check(env.agent({"check", "--config", config}));
  CHECK(finish(check, 30s) == 2);
  CHECK(check.stderrText().find(config + ":3:") != std::string::npos);
  CHECK(check.stderrText().find(dir + "/old.so: built for plugin ABI version 999") != std::string::npos);
  AgentProcess run(env.agent({"--config", config}));
  CHECK(finish(run, 30s) == 2);
}

TEST_CASE("an external sink reopens on SIGHUP", "[e2e][plugin]") {
  Env env;
  std::string out = env.dir.file("counts.txt");
  AgentProcess agent(env.agent({"--config", counterConfig(env, kExampleDir, out)}));
  REQUIRE(agent.write("one\n"));
  REQUIRE(waitFor([&] { return !readFile(out).empty(); }, 30s));
  REQUIRE(std::rename(out.c_str(), (out + ".1").c_str()) == 0);
  agent.signal(SIGHUP);
  REQUIRE(waitFor([&] { return agent.stderrText().find("reopening the file") != std::string::npos; }, 30s));
  CHECK(writeAndFinish(agent, "two\n", 30s) == 0);
  CHECK(splitLines(readFile(out + ".1")).size() == 1);
  CHECK(splitLines(readFile(out)).size() == 1);
}
