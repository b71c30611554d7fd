// The admin API with the real binary: dump and filter, health, metrics, live streams (SSE and WebSocket),
// a slow stream client, the token.
#include <openssl/rand.h>

#include "tests/e2e/admin_e2e.h"
#include "agent/admin/websocket.h"
#include "agent/core/clock.h"

using namespace sluice;
using namespace sluice::e2e;

namespace {

// Three sources: web-1 (stdin), web-2 and worker-1 (exec children that print a line, then wait).
const char* kThreeSources =
    "  - name: web-1\n    type: stdin\n"
    "  - name: web-2\n    type: exec\n    command: [\"/bin/sh\", \"-c\", \"echo from-web-2; exec sleep 60\"]\n"
    "  - name: worker-1\n    type: exec\n    command: [\"/bin/sh\", \"-c\", \"echo from-worker-1; exec sleep 60\"]\n";

std::string maskedFrame(WsOpcode op, const std::string& payload) {
  std::string f;
  f.push_back(static_cast<char>(0x80 | static_cast<uint8_t>(op)));
  f.push_back(static_cast<char>(0x80 | payload.size()));  // small payloads only
  unsigned char mask[4];
  RAND_bytes(mask, 4);
  f.append(reinterpret_cast<char*>(mask), 4);
  for (size_t i = 0; i < payload.size(); ++i) f.push_back(static_cast<char>(payload[i] ^ mask[i & 3]));
  return f;
}

}  // namespace

TEST_CASE("a filter of 20,000 nested groups is answered 400 and the API keeps answering", "[e2e][api]") {
  ApiAgent a;
  auto& [env, drain, agent, port] = a;
  a.writeShown("one\n");
  auto deep = httpGet(port, "/logs?filter=" + std::string(20000, '(') + "a" + std::string(20000, ')'));
  REQUIRE(deep);
  CHECK(deep->status == 400);
  CHECK(deep->body.find("at most 1024") != std::string::npos);
  auto evil = httpGet(port, "/logs?filter=%28a%2A%29%2Ab");
  REQUIRE(evil);
  CHECK(evil->status == 200);
  CHECK(agent.running());
  auto health = httpGet(port, "/healthz");
  REQUIRE(health);
  CHECK(health->status == 200);
}

TEST_CASE("GET /logs dumps the last n lines as TIMESTAMP [SOURCE] MESSAGE and filters by name, type or regexp", "[e2e][api]") {
  ApiAgent a("", kThreeSources);
  auto& [env, drain, agent, port] = a;
  REQUIRE(agent.write("one\ntwo\nthree\n"));
  REQUIRE(waitForRecent(port, 5));

  auto all = httpGet(port, "/logs?n=100");
  REQUIRE(all);
  CHECK(all->status == 200);
  CHECK(all->header("content-type").rfind("text/plain", 0) == 0);
  auto lines = splitLines(all->body);
  REQUIRE(lines.size() == 5);
  std::regex shape(R"(^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z \[(web-1|web-2|worker-1)\] .*$)");
  for (const auto& l : lines) CHECK(std::regex_match(l, shape));

  auto last2 = httpGet(port, "/logs?n=2&filter=web-1");
  REQUIRE(last2);
  CHECK(dumpMessages(last2->body) == std::vector<std::string>{"two", "three"});

  auto by_prefix = httpGet(port, "/logs?filter=web");
  REQUIRE(by_prefix);
  auto msgs = dumpMessages(by_prefix->body);
  std::sort(msgs.begin(), msgs.end());
  CHECK(msgs == std::vector<std::string>{"from-web-2", "one", "three", "two"});

  auto by_regex = httpGet(port, "/logs?filter=" + std::string("web-2%7Cworker"));
  REQUIRE(by_regex);
  msgs = dumpMessages(by_regex->body);
  std::sort(msgs.begin(), msgs.end());
  CHECK(msgs == std::vector<std::string>{"from-web-2", "from-worker-1"});

  auto by_type = httpGet(port, "/logs?filter=exec");
  REQUIRE(by_type);
  CHECK(splitLines(by_type->body).size() == 2);

  auto bad = httpGet(port, "/logs?filter=web%28");
  REQUIRE(bad);
  CHECK(bad->status == 400);
  CHECK(bad->body.find("not a valid regular expression") != std::string::npos);

  auto nd = httpGet(port, "/logs?n=1&filter=web-1&format=ndjson");
  REQUIRE(nd);
  CHECK(nd->header("content-type") == "application/x-ndjson");
  CHECK(nd->body.find("\"source\":\"web-1\"") != std::string::npos);
  CHECK(nd->body.find("\"message\":\"three\"") != std::string::npos);

  agent.closeStdin();
  agent.signal(SIGTERM);  // forwarded to the children; the agent ends with them
  finish(agent, 60s);
}

TEST_CASE("/healthz turns 503 with a reason once a sink has failed longer than unhealthy_after, and back", "[e2e][api]") {
  ApiAgent a("  unhealthy_after: 300ms\n");
  auto& [env, drain, agent, port] = a;
  auto ok = httpGet(port, "/healthz");
  REQUIRE(ok);
  CHECK(ok->status == 200);
  CHECK(ok->body.find("\"status\":\"ok\"") != std::string::npos);
  CHECK(httpGet(port, "/readyz")->status == 200);

  drain.goDown();
  REQUIRE(agent.write("a line while the drain is down\n"));
  std::string body;
  REQUIRE(waitFor(
      [&] {
        auto r = httpGet(port, "/healthz");
        body = r ? r->body : "";
        return r && r->status == 503;
      },
      20s));
  INFO(body);
  CHECK(body.find("\"status\":\"unhealthy\"") != std::string::npos);
  CHECK(body.find("sink drain has failed for") != std::string::npos);

  drain.comeUp();
  REQUIRE(drain.waitForMessages(1, 20s));
  REQUIRE(waitFor([&] { return httpGet(port, "/healthz")->status == 200; }, 10s));
  agent.closeStdin();
  CHECK(finish(agent) == 0);
}

TEST_CASE("/metrics is Prometheus text with the component metrics of every source and sink", "[e2e][api]") {
  ApiAgent a;
  auto& [env, drain, agent, port] = a;
  REQUIRE(agent.write(numberedLines(0, 10)));
  REQUIRE(drain.waitForMessages(10, 20s));
  std::string text;
  REQUIRE(waitFor(
      [&] {
        auto r = httpGet(port, "/metrics");
        text = r ? r->body : "";
        return text.find("sluice_component_sent_events_total{component_id=\"drain\",component_kind=\"sink\","
                         "component_type=\"logplex_https\"} 10") != std::string::npos;
      },
      10s));
  INFO(text);
  // Every sample belongs to a family declared with HELP and TYPE, and parses.
  std::map<std::string, std::string> types;
  std::map<std::string, int> samples;
  std::regex type_re(R"(^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped)$)");
  std::regex sample_re(R"(^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([a-zA-Z_][a-zA-Z0-9_]*="([^"\\]|\\.)*",?)*\})? (-?[0-9.e+]+|\+Inf|NaN)$)");
  for (const auto& line : splitLines(text)) {
    std::smatch m;
    if (line.rfind("# HELP ", 0) == 0) continue;
    if (std::regex_match(line, m, type_re)) {
      CHECK(types.count(m[1]) == 0);
      types[m[1]] = m[2];
      continue;
    }
    INFO(line);
    REQUIRE(std::regex_match(line, m, sample_re));
    std::string name = m[1];
    std::string family = name;
    for (const char* suffix : {"_bucket", "_sum", "_count"}) {
      std::string s = suffix;
      if (name.size() > s.size() && name.compare(name.size() - s.size(), s.size(), s) == 0 &&
          types.count(name.substr(0, name.size() - s.size())) > 0) {
        family = name.substr(0, name.size() - s.size());
      }
    }
    CHECK(types.count(family) == 1);
    samples[family] += 1;
  }
  std::map<std::string, std::string> want = {
      {"sluice_component_received_events_total", "counter"}, {"sluice_component_sent_events_total", "counter"},
      {"sluice_component_sent_bytes_total", "counter"},      {"sluice_component_dropped_events_total", "counter"},
      {"sluice_buffer_bytes", "gauge"},                      {"sluice_buffer_events", "gauge"},
      {"sluice_delivery_latency_seconds", "histogram"},      {"process_cpu_seconds_total", "counter"},
      {"process_resident_memory_bytes", "gauge"},            {"process_open_fds", "gauge"},
      {"process_start_time_seconds", "gauge"},
  };
  for (const auto& [name, type] : want) {
    INFO(name);
    CHECK(types[name] == type);
    CHECK(samples[name] > 0);
  }
  CHECK(text.find("sluice_component_received_events_total{component_id=\"web-1\",component_kind=\"source\","
                  "component_type=\"stdin\"} 10") != std::string::npos);
  CHECK(text.find("sluice_delivery_latency_seconds_bucket{component_id=\"drain\",component_kind=\"sink\","
                  "component_type=\"logplex_https\",le=\"+Inf\"} 10") != std::string::npos);
  CHECK(text.find("sluice_delivery_latency_seconds_count{component_id=\"drain\"") != std::string::npos);
  agent.closeStdin();
  CHECK(finish(agent) == 0);
}

TEST_CASE("an SSE client gets the last n lines, then live lines and pings, and the agent still exits at EOF", "[e2e][api]") {
  ApiAgent a("  keepalive: 200ms\n");
  auto& [env, drain, agent, port] = a;
  a.writeShown("old-1\nold-2\nold-3\n");

  RawConnection sse(port);
  REQUIRE(sse.send("GET /logs?stream=true&n=2 HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n\r\n"));
  REQUIRE(sse.readUntil("old-3", 10s));
  CHECK(sse.buffer().find("Content-Type: text/event-stream") != std::string::npos);
  CHECK(sse.buffer().find("old-1") == std::string::npos);
  CHECK(sse.buffer().find("event: log\ndata: {\"name\":\"log\",\"log\":\"") != std::string::npos);
  CHECK(sse.buffer().find("[web-1] old-2\"}") != std::string::npos);
  REQUIRE(agent.write("live-1\n"));
  REQUIRE(sse.readUntil("[web-1] live-1", 10s));
  REQUIRE(sse.readUntil("event: ping\ndata: {\"name\":\"ping\",\"timestamp\":\"", 10s));

  // End of input: the agent delivers, ends the stream cleanly and exits; the API does not keep it alive.
  agent.closeStdin();
  CHECK(finish(agent, 30s) == 0);
  CHECK(sse.readToEnd(10s));
  CHECK(sse.buffer().find("0\r\n\r\n") != std::string::npos);  // the last chunk
  CHECK(drain.bodies() == std::vector<std::string>{"old-1", "old-2", "old-3", "live-1"});
}

TEST_CASE("a WebSocket client gets log frames and pings, is answered pong, and closes cleanly", "[e2e][api]") {
  ApiAgent a("  keepalive: 200ms\n");
  auto& [env, drain, agent, port] = a;
  a.writeShown("before\n");

  RawConnection ws(port);
  const std::string key = "dGhlIHNhbXBsZSBub25jZQ==";
  REQUIRE(ws.send("GET /logs?stream=true&n=1 HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                  "Sec-WebSocket-Key: " + key + "\r\nSec-WebSocket-Version: 13\r\n\r\n"));
  REQUIRE(ws.readUntil("\r\n\r\n", 10s));
  CHECK(ws.buffer().rfind("HTTP/1.1 101 Switching Protocols\r\n", 0) == 0);
  CHECK(ws.buffer().find("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n") != std::string::npos);
  ws.buffer().erase(0, ws.buffer().find("\r\n\r\n") + 4);

  // Server frames: unmasked text frames, one JSON event each.
  auto nextFrame = [&](WebSocketFrame* f) {
    return waitFor([&] {
      ws.readSome(std::chrono::milliseconds(10));
      std::string& b = ws.buffer();
      if (b.size() < 2) return false;
      size_t len = static_cast<uint8_t>(b[1]) & 0x7F, pos = 2;
      if (len == 126) {
        if (b.size() < 4) return false;
        len = (static_cast<uint8_t>(b[2]) << 8) | static_cast<uint8_t>(b[3]);
        pos = 4;
      }
      if (b.size() < pos + len) return false;
      f->opcode = static_cast<WsOpcode>(static_cast<uint8_t>(b[0]) & 0x0F);
      f->payload = b.substr(pos, len);
      b.erase(0, pos + len);
      return true;
    }, 10s);
  };
  WebSocketFrame f;
  REQUIRE(nextFrame(&f));
  CHECK(f.opcode == WsOpcode::Text);
  CHECK(f.payload.find("{\"name\":\"log\",\"log\":\"") == 0);
  CHECK(f.payload.find("[web-1] before\"}") != std::string::npos);

  REQUIRE(agent.write("after\n"));
  bool saw_live = false, saw_ping = false;
  for (int i = 0; i < 50 && !(saw_live && saw_ping); ++i) {
    REQUIRE(nextFrame(&f));
    if (f.payload.find("[web-1] after") != std::string::npos) saw_live = true;
    if (f.payload.find("{\"name\":\"ping\",\"timestamp\":\"") == 0) saw_ping = true;
  }
  CHECK(saw_live);
  CHECK(saw_ping);

  REQUIRE(ws.send(maskedFrame(WsOpcode::Ping, "are you there")));
  bool pong = false;
  for (int i = 0; i < 50 && !pong; ++i) {
    REQUIRE(nextFrame(&f));
    pong = f.opcode == WsOpcode::Pong && f.payload == "are you there";
  }
  CHECK(pong);

  REQUIRE(ws.send(maskedFrame(WsOpcode::Close, std::string("\x03\xe8", 2))));
  bool closed = false;
  for (int i = 0; i < 50 && !closed; ++i) {
    REQUIRE(nextFrame(&f));
    closed = f.opcode == WsOpcode::Close;
  }
  CHECK(closed);
  CHECK(ws.readToEnd(10s));
  agent.closeStdin();
  CHECK(finish(agent) == 0);
}

TEST_CASE("a slow stream client never stalls delivery to the drain and is told how many lines it missed", "[e2e][api]") {
  Env env;
  TestDrain drain(env.drainOptions());
  AgentProcess agent(env.agent(
      {"--config", adminConfig(env, drain, "  recent_lines: 1000\n  stream_buffer: 16KiB\n  keepalive: 100ms\n")}));
  uint16_t port = apiPort(agent);
  RawConnection slow(port, 4096);
  REQUIRE(slow.send("GET /logs?stream=true HTTP/1.1\r\nHost: x\r\n\r\n"));
  REQUIRE(slow.readUntil("\r\n\r\n", 10s));  // the stream is open; now it reads nothing for a while
  const size_t n = 100000;
  std::string input = numberedLines(0, n, 100);
  REQUIRE(agent.write(input));
  REQUIRE(drain.waitForMessages(n, 120s));
  // Now it reads: it learns what it missed, and the stream goes on.
  REQUIRE(slow.readUntil("event: dropped\ndata: {\"name\":\"dropped\",\"count\":", 30s));
  REQUIRE(agent.write("after the burst\n"));
  REQUIRE(slow.readUntil("[web-1] after the burst", 30s));
  auto metrics = httpGet(port, "/metrics");
  REQUIRE(metrics);
  CHECK(metrics->body.find("sluice_api_stream_dropped_events_total 0\n") == std::string::npos);
  agent.closeStdin();
  CHECK(finish(agent) == 0);
  CHECK(drain.messageCount() == n + 1);
}

TEST_CASE("with api.token every endpoint wants the Bearer token", "[e2e][api]") {
  ApiAgent a("  token: s3cret\n");
  auto& [env, drain, agent, port] = a;
  for (const char* path : {"/healthz", "/metrics", "/logs?n=1"}) {
    INFO(path);
    auto none = httpGet(port, path);
    REQUIRE(none);
    CHECK(none->status == 401);
    CHECK(none->header("www-authenticate").find("Bearer") == 0);
    CHECK(httpGet(port, path, {{"Authorization", "Bearer wrong"}})->status == 401);
    CHECK(httpGet(port, path, {{"Authorization", "Bearer s3cret"}})->status == 200);
  }
  CHECK(httpGet(port, "/logs?n=1&token=s3cret")->status == 200);
  agent.closeStdin();
  CHECK(finish(agent) == 0);
  CHECK(agent.stderrText().find("s3cret") == std::string::npos);
}

TEST_CASE("an explicit api.listen that cannot be bound is an error, and an empty api.listen turns the API off", "[e2e][api]") {
  Env env;
  TestDrain drain(env.drainOptions());
  AgentProcess first(env.agent({"--config", adminConfig(env, drain)}));
  uint16_t port = apiPort(first);
  std::string taken = env.writeFile(
      "taken.yaml", "agent:\n  state_dir: " + env.dir.path() + "/state2\napi:\n  listen: 127.0.0.1:" + std::to_string(port) +
                        "\nsources:\n  - name: app\n    type: stdin\nsinks:\n  - name: out\n    type: stdout\n");
  auto o = env.agent({"--config", taken});
  o.close_stdin = true;
  o.dir = env.dir.path() + "/taken";
  std::filesystem::create_directories(o.dir);
  AgentProcess second(o);
  CHECK(finish(second, 30s) == 1);
  CHECK(second.stderrText().find("address already in use") != std::string::npos);

  std::string off = env.writeFile(
      "off.yaml", "agent:\n  state_dir: " + env.dir.path() + "/state3\napi:\n  listen: \"\"\n"
                  "sources:\n  - name: app\n    type: stdin\nsinks:\n  - name: out\n    type: stdout\n");
  auto o3 = env.agent({"--config", off});
  o3.dir = env.dir.path() + "/off";
  std::filesystem::create_directories(o3.dir);
  o3.stdin_file = env.writeFile("in.txt", "x\n");
  AgentProcess third(o3);
  CHECK(finish(third, 30s) == 0);
  CHECK(third.stderrText().find("admin API listening") == std::string::npos);
  first.closeStdin();
  CHECK(finish(first) == 0);
}
