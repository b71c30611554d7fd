// Log sessions (POST /log-sessions, shared/seeds/003) with the real binary: the token creates, the URL alone reads;
// one-shot sessions go after one read; tail sessions stream until revoked; expiry; the limit; the secret never in
// the agent's own log; `sluice logs --session` and `sluice logs URL`.
#include <rapidjson/document.h>

#include "tests/e2e/admin_e2e.h"

using namespace sluice;
using namespace sluice::e2e;

namespace {

const std::vector<std::pair<std::string, std::string>> kToken{{"Authorization", "Bearer tok"}};

// An agent with api.token "tok", debug logging (request paths would show if anything logged them) and `api_extra`.
struct SessionAgent {
  explicit SessionAgent(const std::string& api_extra = "")
      : agent(env.agent({"--config", config(api_extra)})), port(apiPort(agent)) {}
  std::string config(const std::string& api_extra) {
    std::string yaml = readFile(adminConfig(env, drain, "  token: tok\n" + api_extra));
    REQUIRE(yaml.rfind("agent:\n", 0) == 0);
    return env.writeFile("sluice.yaml", "agent:\n  log_level: debug\n" + yaml.substr(7));
  }
  void writeShown(const std::string& lines) {
    REQUIRE(agent.write(lines));
    REQUIRE(waitFor(
        [&] {
          auto r = httpGet(port, "/logs?n=1000", kToken);
          return r && r->status == 200 && splitLines(r->body).size() >= splitLines(lines).size();
        },
        30s));
  }
  Env env;
  TestDrain drain{env.drainOptions()};
  AgentProcess agent;
  uint16_t port;
};

struct Created {
  int status = 0;
  std::string id, url, path, secret, location, body;
};

Created create(uint16_t port, const std::string& body,
               const std::vector<std::pair<std::string, std::string>>& headers = kToken) {
  auto r = rawRequest(port, "POST", "/log-sessions", headers, body);
  REQUIRE(r);
  Created c;
  c.status = r->status;
  c.body = r->body;
  c.location = r->header("location");
  if (r->status != 201) return c;
  rapidjson::Document d;
  d.Parse(r->body.c_str(), r->body.size());
  REQUIRE(!d.HasParseError());
  REQUIRE(d.IsObject());
  REQUIRE(d.HasMember("id"));
  REQUIRE(d.HasMember("url"));
  REQUIRE(d.HasMember("expires_at"));
  c.id = d["id"].GetString();
  c.url = d["url"].GetString();
  const std::string prefix = "http://127.0.0.1:" + std::to_string(port);
  if (c.url.rfind(prefix, 0) == 0) c.path = c.url.substr(prefix.size());
  c.secret = c.url.substr(c.url.rfind('/') + 1);
  return c;
}

}  // namespace

TEST_CASE("a log session needs the token to be created, not to be read, and a one-shot session reads once", "[e2e][api][sessions]") {
  SessionAgent a;
  a.writeShown("one\ntwo\nthree\n");
  CHECK(create(a.port, R"({"lines": 2})", {}).status == 401);

  Created c = create(a.port, R"({"lines": 2, "filter": "web"})");
  REQUIRE(c.status == 201);
  CHECK(c.location == c.url);
  REQUIRE(!c.path.empty());
  CHECK(c.path.rfind("/log-sessions/", 0) == 0);
  CHECK(c.secret.size() >= 32);   // 128 bits at least, in hex
  CHECK(c.secret.find(c.id) == std::string::npos);

  auto read = httpGet(a.port, c.path);   // no token
  REQUIRE(read);
  CHECK(read->status == 200);
  CHECK(dumpMessages(read->body) == std::vector<std::string>{"two", "three"});

  auto again = httpGet(a.port, c.path);
  REQUIRE(again);
  CHECK(again->status == 404);
  auto wrong = httpGet(a.port, "/log-sessions/" + std::string(c.secret.size(), '0'));
  REQUIRE(wrong);
  CHECK(wrong->status == 404);
  CHECK(wrong->body == again->body);
  auto by_id = httpGet(a.port, "/log-sessions/" + c.id);   // the id is not the capability
  REQUIRE(by_id);
  CHECK(by_id->status == 404);
  CHECK(by_id->body == again->body);

  Created revoked = create(a.port, "");
  REQUIRE(revoked.status == 201);
  CHECK(rawRequest(a.port, "DELETE", "/log-sessions/" + revoked.id)->status == 401);
  CHECK(rawRequest(a.port, "DELETE", "/log-sessions/" + revoked.id, kToken)->status == 204);
  auto gone = httpGet(a.port, revoked.path);
  REQUIRE(gone);
  CHECK(gone->status == 404);
  CHECK(gone->body == again->body);

  Created bad = create(a.port, R"({"lines": "ten"})");
  CHECK(bad.status == 400);
  CHECK(bad.body.find("'lines' must be a non-negative integer") != std::string::npos);
  CHECK(create(a.port, R"({"lines": 1,)").status == 400);
  CHECK(create(a.port, R"({"filter": "web("})").status == 400);

  a.agent.closeStdin();
  CHECK(finish(a.agent) == 0);
  INFO(a.agent.stderrText());
  CHECK(a.agent.stderrText().find("log session " + c.id) != std::string::npos);
  for (const std::string& secret : {c.secret, revoked.secret}) {
    CHECK(a.agent.stderrText().find(secret) == std::string::npos);
    CHECK(a.agent.stderrText().find(secret.substr(0, 16)) == std::string::npos);
  }
}

TEST_CASE("a tail log session streams the last lines then new ones, and revoking it cuts the stream", "[e2e][api][sessions]") {
  SessionAgent a;
  a.writeShown("one\ntwo\n");
  Created c = create(a.port, R"({"lines": 1, "tail": true})");
  REQUIRE(c.status == 201);
  RawConnection sse(a.port);
  REQUIRE(sse.send("GET " + c.path + " HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n\r\n"));
  REQUIRE(sse.readUntil("[web-1] two", 20s));
  CHECK(sse.buffer().find("[web-1] one") == std::string::npos);
  CHECK(sse.buffer().find("text/event-stream") != std::string::npos);
  REQUIRE(a.agent.write("three\n"));
  REQUIRE(sse.readUntil("[web-1] three", 20s));

  // A second reader of the same tail session, over WebSocket.
  RawConnection ws(a.port);
  REQUIRE(ws.send("GET " + c.path + " HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                  "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"));
  REQUIRE(ws.readUntil("[web-1] three", 20s));

  CHECK(rawRequest(a.port, "DELETE", "/log-sessions/" + c.id, kToken)->status == 204);
  CHECK(sse.readToEnd(10s));
  CHECK(sse.buffer().find("0\r\n\r\n") != std::string::npos);   // the last chunk: ended, not dropped
  CHECK(ws.readUntil("log session revoked", 10s));
  CHECK(httpGet(a.port, c.path)->status == 404);
  a.agent.closeStdin();
  CHECK(finish(a.agent) == 0);
}

TEST_CASE("log sessions expire after api.sessions.ttl and at most api.sessions.max live at once", "[e2e][api][sessions]") {
  SessionAgent a("  public_url: https://logs.example.test/sluice/\n  sessions:\n    ttl: 1s\n    max: 2\n");
  Created first = create(a.port, "{}");
  REQUIRE(first.status == 201);
  CHECK(first.url.rfind("https://logs.example.test/sluice/log-sessions/", 0) == 0);
  const std::string first_path = "/log-sessions/" + first.secret;
  REQUIRE(create(a.port, R"({"tail": true})").status == 201);
  Created third = create(a.port, "{}");
  CHECK(third.status == 429);
  CHECK(third.body.find("api.sessions.max") != std::string::npos);

  auto unknown = httpGet(a.port, "/log-sessions/" + std::string(64, 'f'));
  REQUIRE(unknown);
  std::optional<RawResponse> expired;
  REQUIRE(waitFor(
      [&] {
        expired = httpGet(a.port, first_path);
        return expired && expired->status == 404;
      },
      10s));
  CHECK(expired->body == unknown->body);
  // Expired sessions make room.
  REQUIRE(waitFor([&] { return create(a.port, "{}").status == 201; }, 10s));
  a.agent.closeStdin();
  CHECK(finish(a.agent) == 0);
}

TEST_CASE("sluice logs --session prints a URL that sluice logs URL reads, once or following", "[e2e][api][sessions]") {
  SessionAgent a;
  a.writeShown("alpha\nbeta\ngamma\n");
  const std::string api = "127.0.0.1:" + std::to_string(a.port);
  auto make = [&](const std::string& name, std::vector<std::string> args) {
    args.insert(args.begin(), {"logs", "--api", api, "--token", "tok", "--session"});
    AgentProcess p(cliProcess(a.env, name, args));
    REQUIRE(finish(p, 30s) == 0);
    auto lines = splitLines(p.stdoutText());
    REQUIRE(lines.size() == 1);
    CHECK(lines[0].rfind("http://127.0.0.1:", 0) == 0);
    return lines[0];
  };
  const std::string once = make("create-once", {"--lines", "2", "web-1"});
  AgentProcess read(cliProcess(a.env, "read", {"logs", once}));
  CHECK(finish(read, 30s) == 0);
  CHECK(dumpMessages(read.stdoutText()) == std::vector<std::string>{"beta", "gamma"});
  AgentProcess again(cliProcess(a.env, "again", {"logs", once}));
  CHECK(finish(again, 30s) == 1);
  CHECK(again.stderrText().find("404") != std::string::npos);

  const std::string tail = make("create-tail", {"-n", "1", "--tail"});
  AgentProcess follow(cliProcess(a.env, "follow", {"logs", tail}));
  REQUIRE(waitFor([&] { return follow.stdoutText().find("[web-1] gamma") != std::string::npos; }, 20s));
  REQUIRE(a.agent.write("delta\n"));
  REQUIRE(waitFor([&] { return follow.stdoutText().find("[web-1] delta") != std::string::npos; }, 20s));
  CHECK(follow.stdoutText().find("beta") == std::string::npos);
  // Revoked: the follower ends.
  auto sessions = splitLines(a.agent.stderrText());
  std::string id;
  for (const auto& l : sessions) {
    size_t at = l.find("log session ");
    if (at != std::string::npos && l.find("(tail") != std::string::npos) id = l.substr(at + 12, l.find(' ', at + 12) - at - 12);
  }
  REQUIRE(!id.empty());
  CHECK(rawRequest(a.port, "DELETE", "/log-sessions/" + id, kToken)->status == 204);
  CHECK(finish(follow, 20s) == 0);
  CHECK(follow.stderrText().find("the log session ended") != std::string::npos);
  a.agent.closeStdin();
  CHECK(finish(a.agent) == 0);
}
