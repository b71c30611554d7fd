#include <cstdio>
#include <filesystem>

#include "agent/formats/frame.h"
#include "tests/e2e/e2e.h"

using namespace sluice;
using namespace sluice::e2e;

namespace {

std::string fileConfig(const Env& env, const std::string& path) {
  return env.stdinConfig("  hostname: h\n",
                         "  - name: frames\n    type: file\n    path: " + path + "\n    batch: {linger: 10ms}\n");
}


// Each line of the file is one octet-counted frame.
std::vector<std::string> frameBodies(const std::string& text) {
  std::vector<std::string> out;
  for (const auto& line : splitLines(text)) {
    std::string_view msg;
    size_t used = 0;
    const char* err = nullptr;
    REQUIRE(parseFrame(line, &msg, &used, &err) == FrameStatus::Ok);
    REQUIRE(used == line.size());
    CHECK(checkRfc5424(msg) == "");
    out.emplace_back(syslogBody(msg));
  }
  return out;
}

}  // namespace

TEST_CASE("the file sink appends the frames, one per line", "[e2e]") {
  Env env;
  std::string out = env.dir.file("frames.log");
  AgentProcess agent(env.agent({"--config", fileConfig(env, out)}));
  REQUIRE(agent.write("one\ntwo\n"));
  agent.closeStdin();
  CHECK(finish(agent, 30s) == 0);
  CHECK(frameBodies(readFile(out)) == std::vector<std::string>{"one", "two"});
  CHECK(readFile(out).find(" h sluice app - - one\n") != std::string::npos);
}

TEST_CASE("the file sink reopens its file on SIGHUP, so logrotate can move it away", "[e2e]") {
  Env env;
  std::string out = env.dir.file("frames.log");
  AgentProcess agent(env.agent({"--config", fileConfig(env, out)}));
  REQUIRE(agent.write("before\n"));
  REQUIRE(waitFor([&] { return readFile(out).find("before") != std::string::npos; }, 30s));
  REQUIRE(std::rename(out.c_str(), (out + ".1").c_str()) == 0);
  agent.signal(SIGHUP);
  REQUIRE(waitFor([&] { return std::filesystem::exists(out); }, 30s));
  REQUIRE(agent.write("after\n"));
  agent.closeStdin();
  CHECK(finish(agent, 30s) == 0);
  CHECK(frameBodies(readFile(out + ".1")) == std::vector<std::string>{"before"});
  CHECK(frameBodies(readFile(out)) == std::vector<std::string>{"after"});
}
