// The logplex input (shared/seeds/002) with the real binary: the seed's request verbatim, strict octet counting,
// auth, sizes, chunked bodies, answers after delivery, backpressure, and a relay chain.
#include "tests/e2e/admin_e2e.h"
#include "agent/net/http_wire.h"

using namespace sluice;
using namespace sluice::e2e;

namespace {

const std::string kSeedBody =
    "72 <190>1 2013-03-27T20:02:24+00:00 hostname logtoken_foobar procid - - foo"
    "72 <190>1 2013-03-27T20:02:24+00:00 hostname logtoken_foobar procid - - bar";

std::string logplexSources(const std::string& extra = "") {
  return "  - name: addons\n    type: logplex\n    listen: 127.0.0.1:0\n    tokens: [logtoken_foobar, other]\n" + extra;
}

TestDrain::Options lenientDrain(const Env& env) {
  TestDrain::Options o = env.drainOptions();
  o.check_rfc5424 = false;  // the seed's timestamps have no fraction: forwarded as they are
  return o;
}

std::vector<std::pair<std::string, std::string>> seedHeaders(const std::string& token = "logtoken_foobar") {
  return {{"Authorization", "Basic " + base64Encode("token:" + token)},
          {"Content-Type", "application/logplex-1"}};
}

std::optional<RawResponse> post(uint16_t port, const std::string& body,
                                std::vector<std::pair<std::string, std::string>> headers = seedHeaders()) {
  return rawRequest(port, "POST", "/logs", headers, body);
}

std::string frame(const std::string& msg) { return std::to_string(msg.size()) + " " + msg; }

std::string message(const std::string& text) { return "<190>1 2026-01-02T03:04:05.000006Z addon-host app web.1 - - " + text; }

// The agent with the logplex input (and the admin API) in front of a lenient drain; `port` is the input's.
struct LogplexAgent {
  Env env;
  TestDrain drain{lenientDrain(env)};
  AgentProcess agent{env.agent({"--config", adminConfig(env, drain, "", logplexSources())})};
  uint16_t port = logplexPort(agent);
};

}  // namespace

TEST_CASE("the seed's curl request, verbatim, is answered 2xx and its two messages reach the drain as sent", "[e2e][logplex]") {
  LogplexAgent a;
  auto& [env, drain, agent, port] = a;
  // curl -X POST --user token:logtoken_foobar -d "..." -H "Content-Length: 150" -H "Content-Type: application/logplex-1"
  RawConnection c(port);
  REQUIRE(c.send("POST /logs HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Basic " + base64Encode("token:logtoken_foobar") +
                 "\r\nUser-Agent: curl/7.88.1\r\nAccept: */*\r\nContent-Length: 150\r\n"
                 "Content-Type: application/logplex-1\r\n\r\n" + kSeedBody));
  REQUIRE(c.readUntil("\r\n\r\n", 30s));
  auto r = parseRawResponse(c.buffer());
  REQUIRE(r);
  CHECK(r->status >= 200);
  CHECK(r->status < 300);
  // 2xx means delivered: the drain has both already.
  CHECK(drain.messages() == std::vector<std::string>{
                                "<190>1 2013-03-27T20:02:24+00:00 hostname logtoken_foobar procid - - foo",
                                "<190>1 2013-03-27T20:02:24+00:00 hostname logtoken_foobar procid - - bar"});
  CHECK(terminateAndFinish(agent, 60s) == 0);
}

TEST_CASE("malformed bodies, wrong tokens and oversized bodies are refused and nothing of them is forwarded", "[e2e][logplex]") {
  LogplexAgent a;
  auto& [env, drain, agent, port] = a;
  uint16_t api = apiPort(agent);

  struct Case {
    const char* what;
    std::string body;
    std::vector<std::pair<std::string, std::string>> headers;
    int status;
    const char* says;
  };
  std::string good = frame(message("ok"));
  std::vector<Case> cases = {
      {"a length prefix one too large", std::to_string(message("ok").size() + 1) + " " + message("ok") + good,
       seedHeaders(), 400, "frame 2 at byte"},
      {"a length prefix one too small", std::to_string(message("ok").size() - 1) + " " + message("ok") + good,
       seedHeaders(), 400, "frame 2 at byte"},
      {"a length prefix beyond the body", std::to_string(message("ok").size() + 10) + " " + message("ok"),
       seedHeaders(), 400, "frame 1 at byte 0: the body ends inside the frame"},
      {"a truncated body", good + good.substr(0, 30), seedHeaders(), 400, "frame 2 at byte"},
      {"a non-numeric length", "abc " + message("x"), seedHeaders(), 400, "decimal length"},
      {"a leading zero", "0" + good, seedHeaders(), 400, "leading zero"},
      {"a frame that is not RFC 5424", frame("hello world"), seedHeaders(), 400, "not an RFC 5424 message"},
      {"an empty body", "", seedHeaders(), 400, "empty body"},
      {"a wrong token", good, seedHeaders("nope"), 401, "token"},
      {"no credentials", good, {{"Content-Type", "application/logplex-1"}}, 401, "token"},
      {"another content type", good, {{"Authorization", seedHeaders()[0].second}, {"Content-Type", "text/plain"}}, 415,
       "application/logplex-1"},
  };
  for (auto& c : cases) {
    INFO(c.what);
    auto r = post(port, c.body, c.headers);
    REQUIRE(r);
    CHECK(r->status == c.status);
    CHECK(r->body.find(c.says) != std::string::npos);
  }
  auto count = seedHeaders();
  count.emplace_back("Logplex-Msg-Count", "3");
  auto mismatch = post(port, good + good, count);
  REQUIRE(mismatch);
  CHECK(mismatch->status == 400);
  CHECK(mismatch->body.find("Logplex-Msg-Count is 3 but the body holds 2 frames") != std::string::npos);

  // 10 MB: refused from its Content-Length, before the body is read.
  std::string big;
  while (big.size() < 10 * 1000 * 1000) big += frame(message(std::string(1000, 'x')));
  auto too_big = post(port, big);
  REQUIRE(too_big);
  CHECK(too_big->status == 413);

  // The other token works too; only this one good request was forwarded.
  auto ok = post(port, good, seedHeaders("other"));
  REQUIRE(ok);
  CHECK(ok->status == 204);
  CHECK(drain.messages() == std::vector<std::string>{message("ok")});
  auto metrics = httpGet(api, "/metrics");
  REQUIRE(metrics);
  CHECK(metrics->body.find("sluice_component_errors_total{component_id=\"addons\",component_kind=\"source\","
                           "component_type=\"logplex\",error_type=\"malformed_body\"} 8") != std::string::npos);
  CHECK(terminateAndFinish(agent, 60s) == 0);
}

TEST_CASE("a chunked body is accepted, and a retried Logplex-Frame-Id is forwarded once", "[e2e][logplex]") {
  LogplexAgent a;
  auto& [env, drain, agent, port] = a;
  std::string body = frame(message("one")) + frame(message("two")) + frame(message("three"));
  // log-shuttle style: chunked, split mid-frame.
  std::string chunked;
  for (size_t pos = 0; pos < body.size(); pos += 50) {
    std::string piece = body.substr(pos, 50);
    char len[16];
    snprintf(len, sizeof len, "%zx", piece.size());
    chunked += std::string(len) + "\r\n" + piece + "\r\n";
  }
  chunked += "0\r\n\r\n";
  auto h = seedHeaders();
  h.emplace_back("Transfer-Encoding", "chunked");
  h.emplace_back("Logplex-Msg-Count", "3");
  h.emplace_back("Logplex-Frame-Id", "batch-1");
  auto r = post(port, chunked, h);
  REQUIRE(r);
  CHECK(r->status == 204);
  CHECK(drain.messageCount() == 3);

  auto again = seedHeaders();
  again.emplace_back("Logplex-Frame-Id", "batch-1");
  auto retried = post(port, body, again);
  REQUIRE(retried);
  CHECK(retried->status == 204);
  CHECK(drain.messageCount() == 3);
  // Another sender's id is its own.
  auto other = seedHeaders("other");
  other.emplace_back("Logplex-Frame-Id", "batch-1");
  REQUIRE(post(port, body, other)->status == 204);
  CHECK(drain.messageCount() == 6);
  CHECK(terminateAndFinish(agent, 60s) == 0);
}

TEST_CASE("a POST is answered only once its frames are delivered, 503 when they could not be", "[e2e][logplex]") {
  Env env;
  TestDrain drain(lenientDrain(env));
  drain.goDown();
  std::string config = adminConfig(env, drain, "", logplexSources());
  // shutdown_timeout short: the undelivered request is answered 503 at shutdown.
  std::string text = readFile(config);
  text.replace(text.find("shutdown_timeout: 20s"), 21, "shutdown_timeout: 1s");
  env.writeFile("sluice.yaml", text);
  AgentProcess agent(env.agent({"--config", config}));
  uint16_t port = logplexPort(agent);

  RawConnection held(port);
  std::string good = frame(message("held"));
  REQUIRE(held.send("POST /logs HTTP/1.1\r\nHost: x\r\nAuthorization: " + seedHeaders()[0].second +
                    "\r\nContent-Type: application/logplex-1\r\nContent-Length: " + std::to_string(good.size()) +
                    "\r\n\r\n" + good));
  CHECK_FALSE(held.readUntil("HTTP/1.1", 1500ms));  // the drain is down: no answer yet
  drain.comeUp();
  REQUIRE(held.readUntil("\r\n\r\n", 20s));
  CHECK(held.buffer().rfind("HTTP/1.1 204", 0) == 0);
  CHECK(drain.messages() == std::vector<std::string>{message("held")});

  drain.goDown();
  RawConnection failing(port);
  REQUIRE(failing.send("POST /logs HTTP/1.1\r\nHost: x\r\nAuthorization: " + seedHeaders()[0].second +
                       "\r\nContent-Type: application/logplex-1\r\nContent-Length: " + std::to_string(good.size()) +
                       "\r\n\r\n" + good));
  CHECK_FALSE(failing.readUntil("HTTP/1.1", 500ms));
  agent.signal(SIGTERM);
  REQUIRE(failing.readUntil("\r\n\r\n", 20s));
  CHECK(failing.buffer().rfind("HTTP/1.1 503", 0) == 0);
  CHECK(failing.buffer().find("Retry-After: ") != std::string::npos);
  CHECK(finish(agent, 60s) == 1);  // one message was lost at shutdown, and said so
}

TEST_CASE("when the sinks push back the logplex input answers 429 with Retry-After", "[e2e][logplex]") {
  Env env;
  TestDrain drain(lenientDrain(env));
  drain.goDown();
  AgentProcess agent(env.agent({"--config", adminConfig(env, drain, "", logplexSources(),
                                                        "    buffer:\n      memory: 64KiB\n    batch:\n      max_bytes: 16KiB\n")}));
  uint16_t port = logplexPort(agent);
  std::string body;
  for (int i = 0; i < 200; ++i) body += frame(message("filler " + std::string(500, 'f')));
  // The first request fills the buffer (and waits); the next is turned away.
  RawConnection filling(port);
  REQUIRE(filling.send("POST /logs HTTP/1.1\r\nHost: x\r\nAuthorization: " + seedHeaders()[0].second +
                       "\r\nContent-Type: application/logplex-1\r\nContent-Length: " + std::to_string(body.size()) +
                       "\r\n\r\n" + body));
  std::optional<RawResponse> r;
  REQUIRE(waitFor(
      [&] {
        r = post(port, frame(message("more")));
        return r && r->status == 429;
      },
      20s));
  CHECK(!r->header("retry-after").empty());
  drain.comeUp();
  REQUIRE(filling.readUntil("\r\n\r\n", 30s));
  CHECK(filling.buffer().rfind("HTTP/1.1 204", 0) == 0);
  CHECK(drain.messageCount() == 200);
  CHECK(terminateAndFinish(agent, 60s) == 0);
}

TEST_CASE("a relay chain, Sluice to Sluice to a drain, loses and duplicates nothing", "[e2e][logplex]") {
  Env env;
  TestDrain drain(env.drainOptions());
  drain.failNext(2, 503);
  // B: HTTPS logplex input → the drain.
  std::string b_dir = env.dir.path() + "/b";
  std::filesystem::create_directories(b_dir);
  std::string b_yaml = "agent:\n  hostname: relay\n  state_dir: " + b_dir + "/state\napi:\n  listen: \"\"\nsources:\n"
                       "  - name: relay\n    type: logplex\n    listen: 127.0.0.1:0\n    tokens: [relaytoken]\n"
                       "    tls: {cert_file: " + env.certs.server_cert + ", key_file: " + env.certs.server_key + "}\n"
                       "sinks:\n  - name: drain\n    type: logplex_https\n    url: " + drain.url() +
                       "\n    tls: {ca_file: " + env.certs.ca_cert + "}\n    retry: {initial: 50ms, max: 500ms}\n"
                       "    max_in_flight: 1\n";
  AgentProcess::Options bo;
  bo.args = {"--config", env.writeFile("b.yaml", b_yaml)};
  bo.dir = b_dir;
  bo.close_stdin = true;
  AgentProcess b(bo);
  uint16_t b_port = logplexPort(b);
  // A: stdin → B over HTTPS.
  std::string a_yaml = "agent:\n  hostname: origin\n  state_dir: " + env.dir.path() + "/a-state\napi:\n  listen: \"\"\n"
                       "sources:\n  - name: app\n    type: stdin\nsinks:\n  - name: relay\n    type: logplex_https\n"
                       "    url: https://token:relaytoken@localhost:" + std::to_string(b_port) + "/logs\n"
                       "    tls: {ca_file: " + env.certs.ca_cert + "}\n    max_in_flight: 1\n"
                       "    message: {app_name: SECRET}\n    batch: {max_messages: 500}\n";
  AgentProcess a(env.agent({"--config", env.writeFile("a.yaml", a_yaml)}));
  const size_t n = 20000;
  std::string input = numberedLines(0, n, 50);
  REQUIRE(a.write(input));
  a.closeStdin();
  CHECK(finish(a, 120s) == 0);
  REQUIRE(drain.waitForMessages(n, 60s));
  CHECK(terminateAndFinish(b, 60s) == 0);
  CHECK(drain.protocolErrors().empty());
  CHECK(firstDifference(drain.bodies(), splitLines(input)) == "");
  auto msgs = drain.messages();
  REQUIRE(!msgs.empty());
  CHECK(msgs.front().find(" origin SECRET app - - line-00000000") != std::string::npos);  // A's header, untouched
}
