#include <catch2/catch.hpp>

#include "agent/admin/live_streams.h"
#include "agent/admin/log_session_request.h"
#include "agent/admin/log_sessions.h"
#include "agent/app/agent_config.h"
#include "agent/plugin/registry.h"

using namespace sluice;

TEST_CASE("a log-session request takes lines, tail and filter, each optional", "[admin][sessions]") {
  auto empty = parseLogSessionRequest("");
  REQUIRE(empty);
  CHECK(empty->lines == 100);
  CHECK_FALSE(empty->tail);
  CHECK(empty->filter.empty());
  auto full = parseLogSessionRequest(R"( {"lines": 10, "tail": true, "filter": "web"} )");
  REQUIRE(full);
  CHECK(full->lines == 10);
  CHECK(full->tail);
  CHECK(full->filter == "web");
  CHECK(parseLogSessionRequest("{}"));
}

TEST_CASE("a bad log-session request is an error that says what is wrong", "[admin][sessions]") {
  auto message = [](std::string_view body) {
    auto r = parseLogSessionRequest(body);
    REQUIRE_FALSE(r);
    return r.error().message;
  };
  CHECK(message(R"({"lines": -1})") == "'lines' must be a non-negative integer");
  CHECK(message(R"({"lines": 1.5})") == "'lines' must be a non-negative integer");
  CHECK(message(R"({"tail": "yes"})") == "'tail' must be true or false");
  CHECK(message(R"({"filter": 3})") == "'filter' must be a string");
  CHECK(message(R"({"line": 3})") == "unknown field 'line' (the fields are lines, tail and filter)");
  CHECK(message("[1]").find("must be a JSON object") != std::string::npos);
  CHECK(message(R"({"lines": 1)").find("not valid JSON") != std::string::npos);
  CHECK(message(std::string(kMaxLogSessionBody + 1, ' ')).find("larger than") != std::string::npos);
  CHECK(message(R"({"filter": ")" + std::string(2000, 'a') + "\"}").find("at most 1024") != std::string::npos);
  // Deep nesting is refused without recursion (the body cap bounds it too).
  CHECK(message(std::string(2000, '[') + std::string(2000, ']')).find("JSON object") != std::string::npos);
}

TEST_CASE("log sessions are found by secret only, go once consumed or revoked, and are limited in number", "[admin][sessions]") {
  Loop loop;
  {
    RecentLines ring(100, 64 * 1024);
    LineFormatter formatter("h");
    LiveStreams streams(loop, ring, formatter, {});
    LogSessions sessions(loop, streams, {std::chrono::seconds(60), 2});
    auto a = sessions.create({}, LogFilter());
    auto b = sessions.create({}, LogFilter());
    REQUIRE(std::holds_alternative<const LogSessions::Session*>(a));
    REQUIRE(std::holds_alternative<const LogSessions::Session*>(b));
    auto full = sessions.create({}, LogFilter());
    REQUIRE(std::holds_alternative<LogSessions::CreateError>(full));
    CHECK(std::get<LogSessions::CreateError>(full) == LogSessions::CreateError::Full);

    const LogSessions::Session* sa = std::get<const LogSessions::Session*>(a);
    const LogSessions::Session* sb = std::get<const LogSessions::Session*>(b);
    CHECK(sa->secret.size() == 64);
    CHECK(sa->secret != sb->secret);
    CHECK(sa->id != sb->id);
    CHECK(sessions.find(sa->secret) == sa);
    CHECK(sessions.find(sa->id) == nullptr);
    std::string near = sa->secret;
    near.back() = near.back() == '0' ? '1' : '0';
    CHECK(sessions.find(near) == nullptr);
    CHECK(sessions.find(sa->secret.substr(0, 63)) == nullptr);
    CHECK(sessions.find("") == nullptr);

    const std::string b_secret = sb->secret;
    sessions.consume(sa);
    CHECK(sessions.size() == 1);
    CHECK_FALSE(sessions.revoke("nope"));
    CHECK(sessions.revoke(std::string(sb->id)));
    CHECK(sessions.find(b_secret) == nullptr);
    CHECK(sessions.size() == 0);
  }
  CHECK(loop.close() == 0);
}

TEST_CASE("api.sessions and api.public_url are read and checked", "[config][sessions]") {
  const std::string rest =
      "sources:\n  - name: app\n    type: stdin\nsinks:\n  - name: out\n    type: file\n    path: /dev/null\n";
  PluginRegistry registry = PluginRegistry::withBuiltins();
  ConfigErrors errors;
  auto config = loadConfigText("api:\n  public_url: https://logs.example.com\n  sessions: {ttl: 200ms, max: 3}\n" + rest,
                               "t.yaml", registry, errors);
  INFO(errors.joined());
  REQUIRE(config);
  CHECK(config->api.session_ttl == std::chrono::milliseconds(200));
  CHECK(config->api.max_sessions == 3);
  CHECK(config->api.public_url == "https://logs.example.com");
  ConfigErrors bad;
  CHECK_FALSE(loadConfigText("api:\n  public_url: ftp://x\n  sessions: {ttl: 10ms}\n" + rest, "t.yaml", registry, bad));
  REQUIRE(bad.messages().size() == 2);
  CHECK(bad.messages()[0].find("sessions.ttl must be at least 100ms") != std::string::npos);
  CHECK(bad.messages()[1].find("public_url must be an http:// or https:// URL") != std::string::npos);
}
