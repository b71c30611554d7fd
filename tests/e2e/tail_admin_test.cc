// A tail source's lines through the admin API and `sluice logs`: found by the configured source's name (not only
// by the file's), with the file as a field of its own.
#include "tests/e2e/admin_e2e.h"
#include "tests/e2e/tail_e2e.h"
#include "agent/core/clock.h"

using namespace sluice;
using namespace sluice::e2e;

namespace {

std::string iso(int64_t us) { return TimestampFormatter().format(us); }

// The lines of `body` that hold every one of `parts`.
size_t linesWithAll(const std::string& body, const std::vector<std::string>& parts) {
  size_t n = 0;
  for (const auto& l : splitLines(body)) {
    bool all = true;
    for (const auto& p : parts) all = all && l.find(p) != std::string::npos;
    n += all ? 1 : 0;
  }
  return n;
}

}  // namespace

TEST_CASE("tail: filter=nginx finds the lines of a tail source named nginx, each with its file", "[e2e][api][tail]") {
  Env env;
  TestDrain drain(env.drainOptions());
  std::filesystem::create_directories(env.dir.file("nginx"));
  LogWriter writer(env.dir.file("nginx/access.log"));
  writer.write("GET /a 200\nGET /b 404\n");
  const std::string sources = "  - name: app\n    type: stdin\n"
                              "  - name: nginx\n    type: tail\n    paths: [\"" + env.dir.file("nginx/*.log") +
                              "\"]\n    start_at: beginning\n    poll_interval: 100ms\n";
  const int64_t t0 = wallMicros();
  AgentProcess agent(env.agent({"--config", adminConfig(env, drain, "  archive: true\n", sources)}));
  const uint16_t port = apiPort(agent);
  REQUIRE(agent.write("app says hi\n"));
  REQUIRE(waitForRecent(port, 3));
  // The frames' PROCID is the file, as the JSON's procid says.
  REQUIRE(drain.waitForMessages(3, 30s));
  const auto frames = drain.messages();
  CHECK(std::count_if(frames.begin(), frames.end(), [](const std::string& m) {
          return m.find(" access.log - - GET /a 200") != std::string::npos;
        }) == 1);

  auto text = httpGet(port, "/logs?filter=nginx");
  REQUIRE(text);
  CHECK(text->status == 200);
  CHECK(dumpMessages(text->body) == std::vector<std::string>{"GET /a 200", "GET /b 404"});
  CHECK(linesWithAll(text->body, {" [nginx access.log] GET /a 200"}) == 1);

  auto json = httpGet(port, "/logs?filter=nginx&format=ndjson");
  REQUIRE(json);
  CHECK(splitLines(json->body).size() == 2);
  CHECK(linesWithAll(json->body, {"\"source\":\"nginx\"", "\"type\":\"tail\"", "\"file\":\"access.log\"",
                                  "\"procid\":\"access.log\""}) == 2);
  // The other source: its own name, no file.
  auto app = httpGet(port, "/logs?filter=app&format=ndjson");
  REQUIRE(app);
  CHECK(linesWithAll(app->body, {"\"source\":\"app\"", "\"procid\":\"app\"", "\"message\":\"app says hi\""}) == 1);
  CHECK(app->body.find("\"file\"") == std::string::npos);
  // A file's name finds its lines too.
  auto by_file = httpGet(port, "/logs?filter=access.log&format=raw");
  REQUIRE(by_file);
  CHECK(by_file->body == "GET /a 200\nGET /b 404\n");

  // The archive keeps the file: a time window gives it back.
  auto window = httpGet(port, "/logs?after=" + iso(t0) + "&before=" + iso(wallMicros()) + "&filter=nginx");
  REQUIRE(window);
  CHECK(window->status == 200);
  CHECK(linesWithAll(window->body, {"\"source\":\"nginx\"", "\"file\":\"access.log\"", "GET /"}) == 2);
  CHECK(window->body.find("app says hi") == std::string::npos);

  const std::string api = "127.0.0.1:" + std::to_string(port);
  AgentProcess logs(cliProcess(env, "logs", {"logs", "--filter", "nginx", "--api", api}));
  CHECK(finish(logs, 30s) == 0);
  CHECK(dumpMessages(logs.stdoutText()) == std::vector<std::string>{"GET /a 200", "GET /b 404"});
  CHECK(linesWithAll(logs.stdoutText(), {" [nginx access.log] GET /b 404"}) == 1);
  AgentProcess archived(cliProcess(env, "archived", {"logs", "--filter", "nginx", "--after", iso(t0), "-F", "json",
                                                     "--api", api}));
  CHECK(finish(archived, 30s) == 0);
  CHECK(linesWithAll(archived.stdoutText(), {"\"source\":\"nginx\"", "\"file\":\"access.log\""}) == 2);

  // Following: the live stream's text carries the file, and -F raw still cuts it off cleanly.
  AgentProcess follow(cliProcess(env, "follow", {"logs", "-f", "-n", "0", "--filter", "nginx", "--api", api}));
  AgentProcess follow_raw(cliProcess(env, "follow_raw", {"logs", "-f", "-n", "0", "-F", "raw", "--filter", "nginx",
                                                         "--api", api}));
  // Both are connected once a line written now reaches them; the stdin line, filtered out, never does.
  auto bothSee = [&](const std::string& text) {
    return follow.stdoutText().find(text) != std::string::npos && follow_raw.stdoutText().find(text) != std::string::npos;
  };
  REQUIRE(waitFor(
      [&] {
        writer.write("GET /c 200\n");
        return waitFor([&] { return bothSee("GET /c 200\n"); }, 1s);
      },
      30s));
  REQUIRE(agent.write("app again\n"));
  writer.write("GET /d 200\n");
  REQUIRE(waitFor([&] { return follow.stdoutText().find("[nginx access.log] GET /d 200\n") != std::string::npos; }, 20s));
  REQUIRE(waitFor([&] { return follow_raw.stdoutText().find("\nGET /d 200\n") != std::string::npos; }, 20s));
  CHECK(follow.stdoutText().find("app again") == std::string::npos);
  for (const auto& l : splitLines(follow_raw.stdoutText())) CHECK(l.rfind("GET /", 0) == 0);
  for (AgentProcess* p : {&follow, &follow_raw}) {
    p->signal(SIGTERM);
    p->wait(10s);
    CHECK(p->sanitizerReport().empty());
  }
  CHECK(terminateAndFinish(agent) == 0);
}
