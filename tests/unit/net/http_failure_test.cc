// How HttpClient and HttpServer fail: refused, timed out, reset, closed idle connections, and a listener that
// goes away and comes back.
#include <catch2/catch.hpp>

#include "tests/unit/net/net_fixture.h"

using namespace sluice;

namespace {
HttpServer::Handler ok() {
  return [](HttpServerRequest&& request, HttpResponder responder) { responder.respond(200, {}, request.target); };
}
}  // namespace

TEST_CASE("a refused connection is an error naming the address", "[net]") {
  NetTest t;
  t.serve({}, ok());
  t.server.reset();  // a port that was just ours and is now closed: nothing listens there
  HttpClient client(t.loop, clientOptions(t.port));
  auto r = roundTrip(t.loop, client, get("/"));
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == UV_ECONNREFUSED);
  CHECK(r.error().message == "connect to 127.0.0.1:" + std::to_string(t.port) + " failed: connection refused");
}

TEST_CASE("a request without an answer times out and its connection is closed", "[net]") {
  NetTest t;
  std::vector<HttpResponder> held;
  t.serve({}, [&](HttpServerRequest&&, HttpResponder responder) { held.push_back(responder); });
  HttpClient::Options co = clientOptions(t.port);
  co.request_timeout = std::chrono::milliseconds(150);
  HttpClient client(t.loop, co);
  auto r = roundTrip(t.loop, client, get("/slow"));
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message == "request timed out after 150ms");
  CHECK(r.error().code == UV_ETIMEDOUT);
  CHECK(client.openConnections() == 0);
  REQUIRE(runLoopUntil(t.loop, [&] { return t.server->connectionCount() == 0; }, kDeadline));
  CHECK_FALSE(held.at(0).connected());
  held[0].respond(200, {}, "too late");  // does nothing
}

TEST_CASE("an idle keep-alive connection closed by the server is replaced for the next request", "[net]") {
  NetTest t;
  std::vector<HttpServerRequest> seen;
  HttpServer::Options so;
  so.idle_timeout = std::chrono::milliseconds(100);
  t.serve(so, [&](HttpServerRequest&& request, HttpResponder responder) {
    seen.push_back(request);
    responder.respond(200, {}, "ok");
  });
  HttpClient client(t.loop, clientOptions(t.port));
  REQUIRE(roundTrip(t.loop, client, get("/1")).ok());
  CHECK(client.idleConnections() == 1);
  // The server's idle timeout closes it; the client notices the EOF and drops it.
  REQUIRE(runLoopUntil(t.loop, [&] { return client.openConnections() == 0 && t.server->connectionCount() == 0; },
                       kDeadline));
  auto r = roundTrip(t.loop, client, get("/2"));
  REQUIRE(r.ok());
  CHECK(r->status == 200);
  REQUIRE(seen.size() == 2);
  CHECK(seen[0].peer != seen[1].peer);
}

TEST_CASE("a request sent on a keep-alive connection the server just closed is resent once", "[net]") {
  NetTest t;
  int handled = 0;
  t.serve({}, [&](HttpServerRequest&&, HttpResponder responder) {
    ++handled;
    responder.respond(200, {}, "ok");
  });
  HttpClient client(t.loop, clientOptions(t.port));
  REQUIRE(roundTrip(t.loop, client, get("/1")).ok());
  // Closed on the server's side, and the client sends before it has seen the EOF: the stale keep-alive race.
  t.server->closeConnections();
  CHECK(client.idleConnections() == 1);
  auto r = roundTrip(t.loop, client, get("/2"));
  INFO((r ? std::string() : r.error().message));
  REQUIRE(r.ok());
  CHECK(r->status == 200);
  CHECK(handled == 2);
}

TEST_CASE("a connection reset by the server is an error at the client", "[net]") {
  NetTest t;
  t.serve({}, [&](HttpServerRequest&&, HttpResponder responder) { responder.abort(true); });
  HttpClient client(t.loop, clientOptions(t.port));
  auto r = roundTrip(t.loop, client, get("/reset"));
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == UV_ECONNRESET);
  CHECK_THAT(r.error().message, Catch::Contains("connection reset by peer"));
}

TEST_CASE("a response whose status is not 3 digits is an error, not an answer", "[net]") {
  // llhttp reads "HTTP/1.1 3 x" (or "03") as status 3; a sink would have rejected its batch for it. Found by fuzzing
  // (tests/fuzz/regressions/http_response).
  NetTest t;
  struct Quiet : Stream::Handler {
    std::unique_ptr<Stream> stream;
    void onStreamData(const char*, size_t) noexcept override {}
    void onStreamClosed(const Error&) noexcept override {}
  } quiet;
  t.serve({}, [&](HttpServerRequest&&, HttpResponder responder) {
    quiet.stream = responder.takeOver(3, {{"Content-Length", "0"}}, &quiet, nullptr);
  });
  HttpClient client(t.loop, clientOptions(t.port));
  auto r = roundTrip(t.loop, client, get("/odd-status"));
  REQUIRE_FALSE(r.ok());
  CHECK_THAT(r.error().message, Catch::Contains("status code is not 3 digits"));
  CHECK(client.openConnections() == 0);
}

TEST_CASE("a server that stops listening refuses new connections and can listen again on its port", "[net]") {
  NetTest t;
  t.serve({}, ok());
  {
    HttpClient client(t.loop, clientOptions(t.port));
    REQUIRE(roundTrip(t.loop, client, get("/up")).ok());
  }
  t.server->stopListening();
  {
    HttpClient client(t.loop, clientOptions(t.port));
    auto down = roundTrip(t.loop, client, get("/down"));
    REQUIRE_FALSE(down.ok());
    CHECK(down.error().code == UV_ECONNREFUSED);
  }
  auto again = t.server->listen();
  REQUIRE(again.ok());
  CHECK(*again == t.port);
  HttpClient client(t.loop, clientOptions(t.port));
  auto r = roundTrip(t.loop, client, get("/back"));
  REQUIRE(r.ok());
  CHECK(r->body == "/back");
}

TEST_CASE("closing the client fails queued and in-flight requests on a later turn", "[net]") {
  NetTest t;
  std::vector<HttpResponder> held;
  t.serve({}, [&](HttpServerRequest&&, HttpResponder responder) { held.push_back(responder); });
  HttpClient::Options co = clientOptions(t.port);
  co.max_connections = 1;
  HttpClient client(t.loop, co);
  Answer first, second;
  client.send(get("/1"), into(first));
  client.send(get("/2"), into(second));
  REQUIRE(runLoopUntil(t.loop, [&] { return held.size() == 1; }, kDeadline));
  client.close();
  CHECK_FALSE(first.has_value());  // never inside close()
  REQUIRE(runLoopUntil(t.loop, [&] { return first && second; }, kDeadline));
  CHECK(first->error().message == "closing");
  CHECK(second->error().message == "closing");
  CHECK(client.openConnections() == 0);
}

TEST_CASE("destroying client and server with work in flight leaves the loop clean", "[net]") {
  CertFixture f;
  Loop loop;
  bool called = false;
  {
    std::vector<HttpResponder> held;
    HttpServer::Options so;
    so.tls = f.serverTls();
    HttpServer server(loop, so, [&](HttpServerRequest&&, HttpResponder responder) { held.push_back(responder); });
    auto port = server.listen();
    REQUIRE(port.ok());
    HttpClient client(loop, clientOptions(*port, CertFixture::clientTls(f.certs.ca_cert)));
    std::string body(1 << 20, 'z');
    client.send(post("/a", body), [&](Result<HttpResponse>) { called = true; });
    client.send(post("/b", body), [&](Result<HttpResponse>) { called = true; });
    REQUIRE(runLoopUntil(loop, [&] { return !held.empty(); }, kDeadline));
  }
  CHECK_FALSE(called);
  REQUIRE(loop.close() == 0);
}

TEST_CASE("a server destroyed by its handler and a client destroyed by its callback leave the loop clean", "[net]") {
  Loop loop;
  int answers = 0;
  {
    std::unique_ptr<HttpServer> server;
    server = std::make_unique<HttpServer>(loop, HttpServer::Options{}, [&](HttpServerRequest&&, HttpResponder r) {
      r.respond(200, {}, "bye");
      server.reset();
    });
    auto port = server->listen();
    REQUIRE(port.ok());
    auto client = std::make_unique<HttpClient>(loop, clientOptions(*port));
    client->send(get("/"), [&](Result<HttpResponse>) {
      ++answers;
      client.reset();
    });
    client->send(get("/second"), [&](Result<HttpResponse>) { ++answers; });  // dropped with the client
    REQUIRE(runLoopUntil(loop, [&] { return client == nullptr; }, kDeadline));
    CHECK(server == nullptr);
    runLoopUntil(loop, [] { return false; }, std::chrono::milliseconds(20));
  }
  CHECK(answers == 1);
  REQUIRE(loop.close() == 0);
}
