#pragma once
// Shared pieces of the [net] tests: certificates in a temp dir, TLS contexts, a raw client stream, and a way to
// capture an HttpClient answer. Client and server always run on the test's one loop, on 127.0.0.1 port 0.
#include <catch2/catch.hpp>

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "agent/net/http_client.h"
#include "agent/net/http_server.h"
#include "agent/net/stream.h"
#include "agent/net/tls_context.h"
#include "tests/support/certs.h"
#include "tests/support/temp_dir.h"
#include "tests/support/wait.h"

namespace sluice {

constexpr std::chrono::milliseconds kDeadline{10000};

struct CertFixture {
  TempDir dir{"sluice-net"};
  TestCerts certs;
  CertFixture() {
    auto made = makeTestCerts(dir.path());
    INFO((made ? std::string() : made.error().message));
    REQUIRE(made.ok());
    certs = *made;
  }
  std::shared_ptr<TlsContext> serverTls(const std::string& client_ca = "") const {
    auto ctx = TlsContext::makeServer(TlsServerOptions{certs.server_cert, certs.server_key, client_ca});
    INFO((ctx ? std::string() : ctx.error().message));
    REQUIRE(ctx.ok());
    return *ctx;
  }
  // Server options with TLS on (`client_ca`: client certificates required, signed by it).
  HttpServer::Options tlsServer(const std::string& client_ca = "") const {
    HttpServer::Options o;
    o.tls = serverTls(client_ca);
    return o;
  }
  static std::shared_ptr<TlsContext> clientTls(const std::string& ca_file, bool verify = true,
                                               const std::string& cert = "", const std::string& key = "") {
    auto ctx = TlsContext::makeClient(TlsClientOptions{ca_file, verify, cert, key});
    INFO((ctx ? std::string() : ctx.error().message));
    REQUIRE(ctx.ok());
    return *ctx;
  }
};

// One test's loop and the HttpServer on it, on 127.0.0.1 port 0. The server goes first, then the loop must close
// clean: a handle left open fails the test. Declare it before what the server's handler uses.
struct NetTest {
  Loop loop;
  std::unique_ptr<HttpServer> server;
  uint16_t port = 0;

  void serve(HttpServer::Options options, HttpServer::Handler handler) {
    server = std::make_unique<HttpServer>(loop, std::move(options), std::move(handler));
    auto listening = server->listen();
    REQUIRE(listening.ok());
    port = *listening;
  }
  ~NetTest() {
    server.reset();
    CHECK(loop.close() == 0);
  }
};

// One HttpClient answer, filled by the callback.
using Answer = std::optional<Result<HttpResponse>>;
inline HttpClient::Callback into(Answer& slot) {
  return [&slot](Result<HttpResponse> r) { slot.emplace(std::move(r)); };
}
inline HttpRequest get(std::string target) {
  HttpRequest r;
  r.method = "GET";
  r.target = std::move(target);
  return r;
}
inline HttpRequest post(std::string target, std::string_view body) {
  HttpRequest r;
  r.target = std::move(target);
  r.body = body;
  return r;
}
inline HttpClient::Options clientOptions(uint16_t port, std::shared_ptr<TlsContext> tls = nullptr) {
  HttpClient::Options o;
  o.host = "127.0.0.1";
  o.port = port;
  o.tls = std::move(tls);
  return o;
}
// Send and run the loop until the answer is in.
inline Result<HttpResponse> roundTrip(Loop& loop, HttpClient& client, HttpRequest request) {
  Answer answer;
  client.send(std::move(request), into(answer));
  REQUIRE(runLoopUntil(loop, [&] { return answer.has_value(); }, kDeadline));
  return std::move(*answer);
}

// A client speaking raw bytes, for what HttpClient never sends (chunked requests, garbage, pipelining).
struct RawClient : Stream::Handler {
  std::string received;
  bool connected = false;
  bool closed = false;
  Error why;
  std::unique_ptr<Stream> stream;

  RawClient(Loop& loop, uint16_t port, std::shared_ptr<TlsContext> tls = nullptr) {
    Stream::ConnectOptions o;
    o.host = "127.0.0.1";
    o.port = port;
    o.tls = std::move(tls);
    stream = Stream::connect(loop, o, this);
  }
  void send(std::string bytes) {
    auto owned = std::make_shared<std::string>(std::move(bytes));
    uv_buf_t b = uv_buf_init(owned->data(), static_cast<unsigned>(owned->size()));
    stream->write(&b, 1, [owned](int) {});
  }
  void onStreamConnected() noexcept override { connected = true; }
  void onStreamData(const char* data, size_t len) noexcept override { received.append(data, len); }
  void onStreamClosed(const Error& e) noexcept override {
    closed = true;
    why = e;
  }
};

}  // namespace sluice
