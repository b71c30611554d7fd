// Requests and responses between HttpClient and HttpServer on one loop: plain, TLS, keep-alive, concurrency and
// body framings.
#include <catch2/catch.hpp>

#include <algorithm>
#include <memory>
#include <set>

#include "tests/unit/net/net_fixture.h"

using namespace sluice;

namespace {

HttpServer::Handler echo(std::vector<HttpServerRequest>* seen = nullptr) {
  return [seen](HttpServerRequest&& request, HttpResponder responder) {
    std::string body = request.method + " " + request.target + " " + request.body;
    if (seen != nullptr) seen->push_back(std::move(request));
    responder.respond(200, {{"Content-Type", "text/plain"}, {"X-Echo", "yes"}}, std::move(body));
  };
}

// What the server of `t` answered to each of `requests` (raw bytes, each on a connection of its own, all sent at
// once) by the time it closed the connection.
std::vector<std::string> answersUntilClosed(NetTest& t, const std::vector<std::string>& requests) {
  std::vector<std::unique_ptr<RawClient>> clients;
  for (const auto& request : requests) {
    clients.push_back(std::make_unique<RawClient>(t.loop, t.port));
    clients.back()->send(request);
  }
  auto all_closed = [&] {
    return std::all_of(clients.begin(), clients.end(), [](const auto& c) { return c->closed; });
  };
  REQUIRE(runLoopUntil(t.loop, all_closed, kDeadline));
  std::vector<std::string> answers;
  for (const auto& c : clients) answers.push_back(c->received);
  return answers;
}

// The same from an echoing server with `options`, made for them.
std::vector<std::string> answersUntilClosed(HttpServer::Options options, const std::vector<std::string>& requests) {
  NetTest t;
  t.serve(std::move(options), echo());
  return answersUntilClosed(t, requests);
}

}  // namespace

TEST_CASE("a plain HTTP request gets its response", "[net]") {
  NetTest t;
  std::vector<HttpServerRequest> seen;
  t.serve({}, echo(&seen));
  REQUIRE(t.port != 0);
  CHECK(t.server->port() == t.port);
  HttpClient client(t.loop, clientOptions(t.port));

  HttpRequest request = post("/logs?x=1", "72 <190>1 frame");
  request.headers = {{"Content-Type", "application/logplex-1"}, {"Logplex-Msg-Count", "1"}};
  auto r = roundTrip(t.loop, client, std::move(request));
  REQUIRE(r.ok());
  CHECK(r->status == 200);
  CHECK(r->body == "POST /logs?x=1 72 <190>1 frame");
  CHECK(r->body_bytes == r->body.size());
  REQUIRE(r->header("x-echo") != nullptr);
  CHECK(r->header("Date") != nullptr);

  REQUIRE(seen.size() == 1);
  CHECK(seen[0].method == "POST");
  CHECK(seen[0].path() == "/logs");
  CHECK(seen[0].query() == "x=1");
  CHECK(*seen[0].header("host") == "127.0.0.1:" + std::to_string(t.port));
  CHECK(*seen[0].header("content-length") == "15");
  CHECK(*seen[0].header("Logplex-Msg-Count") == "1");
  CHECK(seen[0].keep_alive);
  CHECK_THAT(seen[0].peer, Catch::StartsWith("127.0.0.1:"));
}

TEST_CASE("an HTTPS request gets its response from a server the CA vouches for", "[net]") {
  CertFixture f;
  NetTest t;
  t.serve(f.tlsServer(), echo());
  // By name, so SNI and DNS-name verification run (localhost may resolve to ::1 first: the next is tried).
  HttpClient::Options co = clientOptions(t.port, CertFixture::clientTls(f.certs.ca_cert));
  co.host = "localhost";
  HttpClient client(t.loop, co);

  std::string body(200 * 1024, 'b');  // several TLS records each way
  auto r = roundTrip(t.loop, client, post("/tls", body));
  INFO((r ? std::string() : r.error().message));
  REQUIRE(r.ok());
  CHECK(r->status == 200);
  CHECK(r->body_bytes == std::string("POST /tls ").size() + body.size());
  CHECK(r->body.size() == HttpClient::Options{}.max_response_body);  // kept at most this much
}

TEST_CASE("sequential requests reuse one keep-alive connection", "[net]") {
  NetTest t;
  std::vector<HttpServerRequest> seen;
  t.serve({}, echo(&seen));
  HttpClient client(t.loop, clientOptions(t.port));
  for (int i = 0; i < 5; ++i) {
    auto r = roundTrip(t.loop, client, get("/n/" + std::to_string(i)));
    REQUIRE(r.ok());
    CHECK(r->body == "GET /n/" + std::to_string(i) + " ");
  }
  std::set<std::string> peers;
  for (const auto& s : seen) peers.insert(s.peer);
  CHECK(peers.size() == 1);
  CHECK(client.openConnections() == 1);
  CHECK(client.idleConnections() == 1);
  CHECK(t.server->connectionCount() == 1);
}

TEST_CASE("no more than max_connections requests are on the wire and the rest wait in order", "[net]") {
  NetTest t;
  std::vector<std::pair<std::string, HttpResponder>> held;
  size_t most = 0;
  t.serve({}, [&](HttpServerRequest&& request, HttpResponder responder) {
    held.emplace_back(request.target, std::move(responder));
    most = std::max(most, held.size());
  });
  HttpClient::Options co = clientOptions(t.port);
  co.max_connections = 2;
  HttpClient client(t.loop, co);

  std::vector<Answer> answers(6);
  for (size_t i = 0; i < answers.size(); ++i) client.send(get("/r" + std::to_string(i)), into(answers[i]));
  // Answer the held requests two at a time; each batch must be the next two in sending order.
  std::vector<std::set<std::string>> batches;
  size_t answered = 0;
  while (answered < answers.size()) {
    size_t expect = std::min<size_t>(2, answers.size() - answered);
    REQUIRE(runLoopUntil(t.loop, [&] { return held.size() == expect; }, kDeadline));
    CHECK(client.openConnections() <= 2);
    std::set<std::string> batch;
    for (auto& [target, responder] : held) {
      batch.insert(target);
      responder.respond(200, {}, target);
    }
    held.clear();
    answered += batch.size();
    batches.push_back(batch);
  }
  REQUIRE(runLoopUntil(t.loop, [&] {
    for (auto& a : answers)
      if (!a) return false;
    return true;
  }, kDeadline));
  CHECK(most == 2);
  CHECK(t.server->connectionCount() == 2);
  CHECK(batches == std::vector<std::set<std::string>>{{"/r0", "/r1"}, {"/r2", "/r3"}, {"/r4", "/r5"}});
  for (size_t i = 0; i < answers.size(); ++i) {
    REQUIRE(answers[i]->ok());
    CHECK((*answers[i])->body == "/r" + std::to_string(i));
  }
}

TEST_CASE("a chunked request body is decoded and a pipelined request waits its turn", "[net]") {
  NetTest t;
  std::vector<HttpServerRequest> seen;
  t.serve({}, echo(&seen));
  RawClient raw(t.loop, t.port);
  raw.send(
      "POST /chunked HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
      "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"
      "GET /second HTTP/1.1\r\nHost: x\r\n\r\n");
  REQUIRE(runLoopUntil(
      t.loop, [&] { return seen.size() == 2 && raw.received.find("GET /second") != std::string::npos; }, kDeadline));
  CHECK(seen[0].body == "hello world");
  CHECK(seen[1].target == "/second");
  size_t first = raw.received.find("POST /chunked hello world");
  size_t second = raw.received.find("GET /second ");
  CHECK(first != std::string::npos);
  CHECK(first < second);
}

TEST_CASE("a chunked response is decoded by the client", "[net]") {
  NetTest t;
  t.serve({}, [&](HttpServerRequest&&, HttpResponder responder) {
    responder.startStream(200, {{"Content-Type", "text/plain"}});
    responder.write("first,");
    responder.write("second,");
    // The end comes on a later turn, as a live stream's would.
    t.loop.post([responder]() mutable {
      responder.write("third");
      responder.end();
    });
  });
  HttpClient client(t.loop, clientOptions(t.port));
  auto r = roundTrip(t.loop, client, get("/stream"));
  REQUIRE(r.ok());
  CHECK(r->status == 200);
  CHECK(*r->header("transfer-encoding") == "chunked");
  CHECK(r->body == "first,second,third");
  // The connection stays usable after a chunked response.
  auto again = roundTrip(t.loop, client, get("/stream"));
  REQUIRE(again.ok());
  CHECK(again->body == "first,second,third");
  CHECK(client.openConnections() == 1);
}

TEST_CASE("a streaming response reaches the client as it is written and onClose fires when it leaves", "[net]") {
  NetTest t;
  HttpResponder stream;
  bool peer_gone = false;
  t.serve({}, [&](HttpServerRequest&&, HttpResponder responder) {
    stream = responder;
    stream.onClose([&] { peer_gone = true; });
    stream.startStream(200, {{"Content-Type", "text/event-stream"}});
    stream.write("data: {\"name\":\"ping\"}\n\n");
  });
  RawClient raw(t.loop, t.port);
  raw.send("GET /logs HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n\r\n");
  REQUIRE(runLoopUntil(t.loop, [&] { return raw.received.find("ping") != std::string::npos; }, kDeadline));
  CHECK_THAT(raw.received, Catch::Contains("Transfer-Encoding: chunked"));
  CHECK_THAT(raw.received, Catch::Contains("17\r\ndata: {\"name\":\"ping\"}\n\n\r\n"));
  stream.write("data: {\"name\":\"log\"}\n\n");
  REQUIRE(runLoopUntil(t.loop, [&] { return raw.received.find("\"log\"") != std::string::npos; }, kDeadline));
  CHECK(stream.pendingBytes() == 0);
  CHECK(stream.connected());

  raw.stream->close();
  REQUIRE(runLoopUntil(t.loop, [&] { return peer_gone; }, kDeadline));
  CHECK_FALSE(stream.connected());
  stream.write("ignored");  // answering a dead connection does nothing
  CHECK(t.server->connectionCount() == 0);
}

TEST_CASE("a body over max_body is answered 413 and the connection closed", "[net]") {
  NetTest t;
  int handled = 0;
  HttpServer::Options so;
  so.max_body = 1024;
  t.serve(so, [&](HttpServerRequest&&, HttpResponder responder) {
    ++handled;
    responder.respond(200, {}, "");
  });
  HttpClient client(t.loop, clientOptions(t.port));
  std::string body(4096, 'x');
  auto r = roundTrip(t.loop, client, post("/big", body));
  REQUIRE(r.ok());
  CHECK(r->status == 413);
  CHECK(*r->header("connection") == "close");
  CHECK(handled == 0);
  REQUIRE(runLoopUntil(t.loop, [&] { return t.server->connectionCount() == 0 && client.openConnections() == 0; },
                       kDeadline));
  // A body within the limit still goes through, on a new connection.
  auto ok = roundTrip(t.loop, client, post("/small", std::string_view(body).substr(0, 1024)));
  REQUIRE(ok.ok());
  CHECK(ok->status == 200);
}

TEST_CASE("a chunked body over max_body is answered 413 too", "[net]") {
  auto answers = answersUntilClosed(
      {.max_body = 8},
      {"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n5\r\nworld\r\n0\r\n\r\n"});
  CHECK_THAT(answers[0], Catch::StartsWith("HTTP/1.1 413 Content Too Large\r\n"));
}

TEST_CASE("malformed requests get 400 and oversized heads 431, then the connection closes", "[net]") {
  auto answers = answersUntilClosed(
      {.max_header_bytes = 256},
      {"NOT HTTP AT ALL\r\n\r\n", "GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(1000, 'a') + "\r\n\r\n"});
  const std::string& bad = answers[0];
  const std::string& huge = answers[1];
  CHECK_THAT(bad, Catch::StartsWith("HTTP/1.1 400 Bad Request\r\n"));
  CHECK_THAT(huge, Catch::StartsWith("HTTP/1.1 431 Request Header Fields Too Large\r\n"));
  CHECK_THAT(huge, Catch::Contains("Connection: close\r\n"));
}

TEST_CASE("HTTP/1.0 and Connection: close are answered and the connection is not reused", "[net]") {
  NetTest t;
  std::vector<HttpServerRequest> seen;
  t.serve({}, echo(&seen));
  const std::string old = answersUntilClosed(t, {"GET /old HTTP/1.0\r\n\r\n"})[0];
  CHECK_THAT(old, Catch::Contains("Connection: close\r\n"));
  CHECK_THAT(old, Catch::EndsWith("GET /old "));
  REQUIRE(seen.size() == 1);
  CHECK_FALSE(seen[0].keep_alive);

  HttpClient client(t.loop, clientOptions(t.port));
  HttpRequest request = get("/bye");
  request.headers = {{"Connection", "close"}};
  auto r = roundTrip(t.loop, client, std::move(request));
  REQUIRE(r.ok());
  CHECK(*r->header("Connection") == "close");
  REQUIRE(runLoopUntil(t.loop, [&] { return client.openConnections() == 0; }, kDeadline));
}

TEST_CASE("an upgrade takes the connection over with the bytes that followed the request", "[net]") {
  NetTest t;
  struct Echo : Stream::Handler {
    std::unique_ptr<Stream> stream;
    std::string got;
    bool closed = false;
    void onStreamData(const char* data, size_t len) noexcept override {
      got.append(data, len);
      auto owned = std::make_shared<std::string>("echo:" + std::string(data, len));
      uv_buf_t b = uv_buf_init(owned->data(), static_cast<unsigned>(owned->size()));
      stream->write(&b, 1, [owned](int) {});
    }
    void onStreamClosed(const Error&) noexcept override { closed = true; }
  } echo;
  std::string leftover;
  bool upgrade_seen = false;
  t.serve({}, [&](HttpServerRequest&& request, HttpResponder responder) {
    upgrade_seen = request.upgrade;
    echo.stream = responder.takeOver(101, {{"Upgrade", "websocket"}, {"Connection", "Upgrade"}}, &echo, &leftover);
  });
  RawClient raw(t.loop, t.port);
  raw.send("GET /ws HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\nEARLY");
  REQUIRE(runLoopUntil(t.loop, [&] { return echo.stream != nullptr && !raw.received.empty(); }, kDeadline));
  CHECK(upgrade_seen);
  CHECK(leftover == "EARLY");
  CHECK(t.server->connectionCount() == 0);  // no longer the server's
  CHECK_THAT(raw.received, Catch::StartsWith("HTTP/1.1 101 Switching Protocols\r\n"));
  CHECK_THAT(raw.received, Catch::EndsWith("Connection: Upgrade\r\n\r\n"));
  raw.send("frame");
  REQUIRE(runLoopUntil(t.loop, [&] { return raw.received.find("echo:frame") != std::string::npos; }, kDeadline));
  CHECK(echo.got == "frame");
  raw.stream->close();
  REQUIRE(runLoopUntil(t.loop, [&] { return echo.closed; }, kDeadline));
}

TEST_CASE("a response without length or chunking ends when the server closes", "[net]") {
  NetTest t;
  // The server side hands the connection to this writer, which sends a body and closes: close-delimited.
  struct Writer : Stream::Handler {
    std::unique_ptr<Stream> stream;
    const std::string body = "until the end";
    void start() {
      uv_buf_t b = uv_buf_init(const_cast<char*>(body.data()), static_cast<unsigned>(body.size()));
      stream->write(&b, 1, [this](int) { stream->close(); });
    }
    void onStreamData(const char*, size_t) noexcept override {}
    void onStreamClosed(const Error&) noexcept override {}
  } writer;
  t.serve({}, [&](HttpServerRequest&&, HttpResponder responder) {
    writer.stream = responder.takeOver(200, {{"Connection", "close"}}, &writer, nullptr);
    writer.start();
  });
  HttpClient client(t.loop, clientOptions(t.port));
  auto r = roundTrip(t.loop, client, get("/old-style"));
  INFO((r ? std::string() : r.error().message));
  REQUIRE(r.ok());
  CHECK(r->status == 200);
  CHECK(r->header("Content-Length") == nullptr);
  CHECK(r->body == "until the end");
  CHECK(client.openConnections() == 0);
}
