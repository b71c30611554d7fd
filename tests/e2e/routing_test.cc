// Routing: each sink takes the sources its `inputs:` names; a sink without inputs takes every source.
#include "agent/formats/frame.h"
#include "tests/e2e/e2e.h"

using namespace sluice;
using namespace sluice::e2e;

namespace {

// The messages of a file sink's output (one frame per line).
std::vector<std::string> messagesIn(const std::string& path) {
  std::vector<std::string> out;
  for (const auto& line : splitLines(readFile(path))) {
    std::string_view msg;
    size_t used = 0;
    const char* err = nullptr;
    if (parseFrame(line, &msg, &used, &err) == FrameStatus::Ok) out.emplace_back(syslogBody(msg));
  }
  return out;
}

}  // namespace

TEST_CASE("each sink gets only the sources its inputs name, matched by name or glob", "[e2e]") {
  Env env;
  std::string access_log = env.writeFile("access.log", "GET /a\nGET /b\n");
  std::string app_out = env.dir.file("app.out"), web_out = env.dir.file("web.out"), all_out = env.dir.file("all.out");
  std::string config = env.writeFile(
      "sluice.yaml",
      "agent:\n  hostname: h\n  state_dir: " + env.dir.file("state") +
          "\nsources:\n  - name: app\n    type: stdin\n  - name: nginx\n    type: tail\n    paths: [\"" + access_log +
          "\"]\n    start_at: beginning\n"
          "sinks:\n"
          "  - name: app_only\n    type: file\n    path: " + app_out + "\n    inputs: [app]\n    batch: {linger: 10ms}\n"
          "  - name: web\n    type: file\n    path: " + web_out + "\n    inputs: [\"ngi*\"]\n    batch: {linger: 10ms}\n"
          "  - name: everything\n    type: file\n    path: " + all_out + "\n    batch: {linger: 10ms}\n");
  AgentProcess agent(env.agent({"--config", config}));
  REQUIRE(agent.write("hello\n"));
  REQUIRE(waitFor([&] { return messagesIn(all_out).size() == 3; }, 30s));
  REQUIRE(waitFor([&] { return messagesIn(app_out).size() == 1 && messagesIn(web_out).size() == 2; }, 30s));
  CHECK(terminateAndFinish(agent, 30s) == 0);
  CHECK(messagesIn(app_out) == std::vector<std::string>{"hello"});
  CHECK(messagesIn(web_out) == std::vector<std::string>{"GET /a", "GET /b"});
  // The tail's frames keep the file's name as PROCID.
  CHECK(readFile(web_out).find(" h sluice access.log - - GET /a") != std::string::npos);
}

TEST_CASE("sluice check refuses an input that names no source, pointing at the sink's inputs", "[e2e]") {
  Env env;
  std::string config = env.writeFile(
      "sluice.yaml", "sources:\n  - name: nginx\n    type: stdin\nsinks:\n  - name: out\n    type: stdout\n"
                     "    inputs: [ngnix]\n");
  AgentProcess check(env.agent({"check", "--config", config}));
  CHECK(finish(check, 30s) == 2);
  CHECK(check.stderrText().find("sluice.yaml:7:13: inputs: 'ngnix' names no source (did you mean 'nginx'?)") !=
        std::string::npos);
}
