// Requests and responses between HttpClient and HttpServer on one loop: plain, TLS, keep-alive, concurrency and
// body framings.
#include <catch2/catch.hpp>

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

}  // namespace

TEST_CASE("a plain HTTP request gets its response", "[net]") {
  Loop loop;
  {
    std::vector<HttpServerRequest> seen;
    HttpServer server(loop, HttpServer::Options{}, echo(&seen));
    auto port = server.listen();
    REQUIRE(port.ok());
    REQUIRE(*port != 0);
    CHECK(server.port() == *port);
    HttpClient client(loop, clientOptions(*port));

    HttpRequest request = post("/logs?x=1", "72 <190>1 frame");
    request.headers = {{"Content-Type", "application/logplex-1"}, {"Logplex-Msg-Count", "1"}};
    auto r = roundTrip(loop, client, std::move(request));
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
    CHECK(*seen[0].header("host") == "127.0.0.1:" + std::to_string(*port));
    CHECK(*seen[0].header("content-length") == "15");
    CHECK(*seen[0].header("Logplex-Msg-Count") == "1");
    CHECK(seen[0].keep_alive);
    CHECK_THAT(seen[0].peer, Catch::StartsWith("127.0.0.1:"));
  }
  REQUIRE(loop.close() == 0);
}

TEST_CASE("an HTTPS request gets its response from a server the CA vouches for", "[net]") {
  CertFixture f;
  Loop loop;
  {
    HttpServer::Options so;
    so.tls = f.serverTls();
    HttpServer server(loop, so, echo());
    auto port = server.listen();
    REQUIRE(port.ok());
    // By name, so SNI and DNS-name verification run (localhost may resolve to ::1 first: the next is tried).
    HttpClient::Options co = clientOptions(*port, CertFixture::clientTls(f.certs.ca_cert));
    co.host = "localhost";
    HttpClient client(loop, co);

    std::string body(200 * 1024, 'b');  // several TLS records each way
    auto r = roundTrip(loop, client, post("/tls", body));
    INFO((r ? std::string() : r.error().message));
    REQUIRE(r.ok());
    CHECK(r->status == 200);
    CHECK(r->body_bytes == std::string("POST /tls ").size() + body.size());
    CHECK(r->body.size() == HttpClient::Options{}.max_response_body);  // kept at most this much
  }
  REQUIRE(loop.close() == 0);
}

TEST_CASE("sequential requests reuse one keep-alive connection", "[net]") {
  Loop loop;
  {
    std::vector<HttpServerRequest> seen;
    HttpServer server(loop, HttpServer::Options{}, echo(&seen));
    auto port = server.listen();
    REQUIRE(port.ok());
    HttpClient client(loop, clientOptions(*port));
    for (int i = 0; i < 5; ++i) {
      auto r = roundTrip(loop, client, get("/n/" + std::to_string(i)));
      REQUIRE(r.ok());
      CHECK(r->body == "GET /n/" + std::to_string(i) + " ");
    }
    std::set<std::string> peers;
    for (const auto& s : seen) peers.insert(s.peer);
    CHECK(peers.size() == 1);
    CHECK(client.openConnections() == 1);
    CHECK(client.idleConnections() == 1);
    CHECK(server.connectionCount() == 1);
  }
  REQUIRE(loop.close() == 0);
}

TEST_CASE("no more than max_connections requests are on the wire and the rest wait in order", "[net]") {
  Loop loop;
  {
    std::vector<std::pair<std::string, HttpResponder>> held;
    size_t most = 0;
    HttpServer server(loop, HttpServer::Options{}, [&](HttpServerRequest&& request, HttpResponder responder) {
      held.emplace_back(request.target, std::move(responder));
      most = std::max(most, held.size());
    });
    auto port = server.listen();
    REQUIRE(port.ok());
    HttpClient::Options co = clientOptions(*port);
    co.max_connections = 2;
    HttpClient client(loop, co);

    std::vector<Answer> answers(6);
    for (size_t i = 0; i < answers.size(); ++i) client.send(get("/r" + std::to_string(i)), into(answers[i]));
    // Answer the held requests two at a time; each batch must be the next two in sending order.
    std::vector<std::set<std::string>> batches;
    size_t answered = 0;
    while (answered < answers.size()) {
      size_t expect = std::min<size_t>(2, answers.size() - answered);
      REQUIRE(runLoopUntil(loop, [&] { return held.size() == expect; }, kDeadline));
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
    REQUIRE(runLoopUntil(loop, [&] {
      for (auto& a : answers)
        if (!a) return false;
      return true;
    }, kDeadline));
    CHECK(most == 2);
    CHECK(server.connectionCount() == 2);
    CHECK(batches == std::vector<std::set<std::string>>{{"/r0", "/r1"}, {"/r2", "/r3"}, {"/r4", "/r5"}});
    for (size_t i = 0; i < answers.size(); ++i) {
      REQUIRE(answers[i]->ok());
      CHECK((*answers[i])->body == "/r" + std::to_string(i));
    }
  }
  REQUIRE(loop.close() == 0);
}

TEST_CASE("a chunked request body is decoded and a pipelined request waits its turn", "[net]") {
  Loop loop;
  {
    std::vector<HttpServerRequest> seen;
    HttpServer server(loop, HttpServer::Options{}, echo(&seen));
    auto port = server.listen();
    REQUIRE(port.ok());
    RawClient raw(loop, *port);
    raw.send(
        "POST /chunked HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
        "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"
        "GET /second HTTP/1.1\r\nHost: x\r\n\r\n");
    REQUIRE(runLoopUntil(loop, [&] { return seen.size() == 2 && raw.received.find("GET /second") != std::string::npos; },
                         kDeadline));
    CHECK(seen[0].body == "hello world");
    CHECK(seen[1].target == "/second");
    size_t first = raw.received.find("POST /chunked hello world");
    size_t second = raw.received.find("GET /second ");
    CHECK(first != std::string::npos);
    CHECK(first < second);
  }
  REQUIRE(loop.close() == 0);
}

TEST_CASE("a chunked response is decoded by the client", "[net]") {
  Loop loop;
  {
    HttpServer server(loop, HttpServer::Options{}, [&](HttpServerRequest&&, HttpResponder responder) {
      responder.startStream(200, {{"Content-Type", "text/plain"}});
      responder.write("first,");
      responder.write("second,");
      // The end comes on a later turn, as a live stream's would.
      loop.post([responder]() mutable {
        responder.write("third");
        responder.end();
      });
    });
    auto port = server.listen();
    REQUIRE(port.ok());
    HttpClient client(loop, clientOptions(*port));
    auto r = roundTrip(loop, client, get("/stream"));
    REQUIRE(r.ok());
    CHECK(r->status == 200);
    CHECK(*r->header("transfer-encoding") == "chunked");
    CHECK(r->body == "first,second,third");
    // The connection stays usable after a chunked response.
    auto again = roundTrip(loop, client, get("/stream"));
    REQUIRE(again.ok());
    CHECK(again->body == "first,second,third");
    CHECK(client.openConnections() == 1);
  }
  REQUIRE(loop.close() == 0);
}

TEST_CASE("a streaming response reaches the client as it is written and onClose fires when it leaves", "[net]") {
  Loop loop;
  {
    HttpResponder stream;
    bool peer_gone = false;
    HttpServer server(loop, HttpServer::Options{}, [&](HttpServerRequest&&, HttpResponder responder) {
      stream = responder;
      stream.onClose([&] { peer_gone = true; });
      stream.startStream(200, {{"Content-Type", "text/event-stream"}});
      stream.write("data: {\"name\":\"ping\"}\n\n");
    });
    auto port = server.listen();
    REQUIRE(port.ok());
    RawClient raw(loop, *port);
    raw.send("GET /logs HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n\r\n");
    REQUIRE(runLoopUntil(loop, [&] { return raw.received.find("ping") != std::string::npos; }, kDeadline));
    CHECK_THAT(raw.received, Catch::Contains("Transfer-Encoding: chunked"));
    CHECK_THAT(raw.received, Catch::Contains("17\r\ndata: {\"name\":\"ping\"}\n\n\r\n"));
    stream.write("data: {\"name\":\"log\"}\n\n");
    REQUIRE(runLoopUntil(loop, [&] { return raw.received.find("\"log\"") != std::string::npos; }, kDeadline));
    CHECK(stream.pendingBytes() == 0);
    CHECK(stream.connected());

    raw.stream->close();
    REQUIRE(runLoopUntil(loop, [&] { return peer_gone; }, kDeadline));
    CHECK_FALSE(stream.connected());
    stream.write("ignored");  // answering a dead connection does nothing
    CHECK(server.connectionCount() == 0);
  }
  REQUIRE(loop.close() == 0);
}

TEST_CASE("a body over max_body is answered 413 and the connection closed", "[net]") {
  Loop loop;
  {
    int handled = 0;
    HttpServer::Options so;
    so.max_body = 1024;
    HttpServer server(loop, so, [&](HttpServerRequest&&, HttpResponder responder) {
      ++handled;
      responder.respond(200, {}, "");
    });
    auto port = server.listen();
    REQUIRE(port.ok());
    HttpClient client(loop, clientOptions(*port));
    std::string body(4096, 'x');
    auto r = roundTrip(loop, client, post("/big", body));
    REQUIRE(r.ok());
    CHECK(r->status == 413);
    CHECK(*r->header("connection") == "close");
    CHECK(handled == 0);
    REQUIRE(runLoopUntil(loop, [&] { return server.connectionCount() == 0 && client.openConnections() == 0; },
                         kDeadline));
    // A body within the limit still goes through, on a new connection.
    auto ok = roundTrip(loop, client, post("/small", std::string_view(body).substr(0, 1024)));
    REQUIRE(ok.ok());
    CHECK(ok->status == 200);
  }
  REQUIRE(loop.close() == 0);
}

TEST_CASE("a chunked body over max_body is answered 413 too", "[net]") {
  Loop loop;
  {
    HttpServer::Options so;
    so.max_body = 8;
    HttpServer server(loop, so, echo());
    auto port = server.listen();
    REQUIRE(port.ok());
    RawClient raw(loop, *port);
    raw.send("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n5\r\nworld\r\n0\r\n\r\n");
    REQUIRE(runLoopUntil(loop, [&] { return raw.closed; }, kDeadline));
    CHECK_THAT(raw.received, Catch::StartsWith("HTTP/1.1 413 Content Too Large\r\n"));
  }
  REQUIRE(loop.close() == 0);
}

TEST_CASE("malformed requests get 400 and oversized heads 431, then the connection closes", "[net]") {
  Loop loop;
  {
    HttpServer::Options so;
    so.max_header_bytes = 256;
    HttpServer server(loop, so, echo());
    auto port = server.listen();
    REQUIRE(port.ok());
    RawClient bad(loop, *port);
    bad.send("NOT HTTP AT ALL\r\n\r\n");
    RawClient huge(loop, *port);
    huge.send("GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(1000, 'a') + "\r\n\r\n");
    REQUIRE(runLoopUntil(loop, [&] { return bad.closed && huge.closed; }, kDeadline));
    CHECK_THAT(bad.received, Catch::StartsWith("HTTP/1.1 400 Bad Request\r\n"));
    CHECK_THAT(huge.received, Catch::StartsWith("HTTP/1.1 431 Request Header Fields Too Large\r\n"));
    CHECK_THAT(huge.received, Catch::Contains("Connection: close\r\n"));
  }
  REQUIRE(loop.close() == 0);
}

TEST_CASE("HTTP/1.0 and Connection: close are answered and the connection is not reused", "[net]") {
  Loop loop;
  {
    std::vector<HttpServerRequest> seen;
    HttpServer server(loop, HttpServer::Options{}, echo(&seen));
    auto port = server.listen();
    REQUIRE(port.ok());
    RawClient raw(loop, *port);
    raw.send("GET /old HTTP/1.0\r\n\r\n");
    REQUIRE(runLoopUntil(loop, [&] { return raw.closed; }, kDeadline));
    CHECK_THAT(raw.received, Catch::Contains("Connection: close\r\n"));
    CHECK_THAT(raw.received, Catch::EndsWith("GET /old "));
    REQUIRE(seen.size() == 1);
    CHECK_FALSE(seen[0].keep_alive);

    HttpClient client(loop, clientOptions(*port));
    HttpRequest request = get("/bye");
    request.headers = {{"Connection", "close"}};
    auto r = roundTrip(loop, client, std::move(request));
    REQUIRE(r.ok());
    CHECK(*r->header("Connection") == "close");
    REQUIRE(runLoopUntil(loop, [&] { return client.openConnections() == 0; }, kDeadline));
  }
  REQUIRE(loop.close() == 0);
}

TEST_CASE("an upgrade takes the connection over with the bytes that followed the request", "[net]") {
  Loop loop;
  {
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
    HttpServer server(loop, HttpServer::Options{}, [&](HttpServerRequest&& request, HttpResponder responder) {
      upgrade_seen = request.upgrade;
      echo.stream = responder.takeOver(101, {{"Upgrade", "websocket"}, {"Connection", "Upgrade"}}, &echo, &leftover);
    });
    auto port = server.listen();
    REQUIRE(port.ok());
    RawClient raw(loop, *port);
    raw.send("GET /ws HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\nEARLY");
    REQUIRE(runLoopUntil(loop, [&] { return echo.stream != nullptr && !raw.received.empty(); }, kDeadline));
    CHECK(upgrade_seen);
    CHECK(leftover == "EARLY");
    CHECK(server.connectionCount() == 0);  // no longer the server's
    CHECK_THAT(raw.received, Catch::StartsWith("HTTP/1.1 101 Switching Protocols\r\n"));
    CHECK_THAT(raw.received, Catch::EndsWith("Connection: Upgrade\r\n\r\n"));
    raw.send("frame");
    REQUIRE(runLoopUntil(loop, [&] { return raw.received.find("echo:frame") != std::string::npos; }, kDeadline));
    CHECK(echo.got == "frame");
    raw.stream->close();
    REQUIRE(runLoopUntil(loop, [&] { return echo.closed; }, kDeadline));
  }
  REQUIRE(loop.close() == 0);
}

TEST_CASE("a response without length or chunking ends when the server closes", "[net]") {
  Loop loop;
  {
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
    HttpServer server(loop, HttpServer::Options{}, [&](HttpServerRequest&&, HttpResponder responder) {
      writer.stream = responder.takeOver(200, {{"Connection", "close"}}, &writer, nullptr);
      writer.start();
    });
    auto port = server.listen();
    REQUIRE(port.ok());
    HttpClient client(loop, clientOptions(*port));
    auto r = roundTrip(loop, client, get("/old-style"));
    INFO((r ? std::string() : r.error().message));
    REQUIRE(r.ok());
    CHECK(r->status == 200);
    CHECK(r->header("Content-Length") == nullptr);
    CHECK(r->body == "until the end");
    CHECK(client.openConnections() == 0);
  }
  REQUIRE(loop.close() == 0);
}
