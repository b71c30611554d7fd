// The TLS stream over the TCP stream, as an owner of a Stream sees it: writes made before the handshake, reads
// paused with records still buffered, a graceful shutdown, the handshake's timeout.
#include <catch2/catch.hpp>

#include <chrono>
#include <string>

#include "agent/net/stream.h"
#include "tests/unit/net/net_fixture.h"

using namespace sluice;
using namespace std::chrono_literals;

namespace {

struct Peer : Stream::Handler {
  std::unique_ptr<Stream> stream;
  std::string received;
  bool connected = false;
  bool closed = false;
  Error why;
  std::function<void(Peer&)> on_data;

  void send(std::string bytes) {
    auto owned = std::make_shared<std::string>(std::move(bytes));
    uv_buf_t b = uv_buf_init(owned->data(), static_cast<unsigned>(owned->size()));
    stream->write(&b, 1, [owned](int) {});
  }
  void onStreamConnected() noexcept override { connected = true; }
  void onStreamData(const char* data, size_t len) noexcept override {
    received.append(data, len);
    if (on_data) on_data(*this);
  }
  void onStreamClosed(const Error& e) noexcept override {
    closed = true;
    why = e;
  }
};

// Accepts one connection on 127.0.0.1 (TLS when given a context; plain TCP that never speaks otherwise).
struct Listener {
  Loop& loop;
  std::shared_ptr<TlsContext> tls;
  UvHandle<uv_tcp_t> tcp;
  Peer peer;
  uint16_t port = 0;

  Listener(Loop& l, std::shared_ptr<TlsContext> ctx) : loop(l), tls(std::move(ctx)) {
    REQUIRE(tcp.init(this, [&](uv_tcp_t* t) { return uv_tcp_init(loop.get(), t); }) == 0);
    struct sockaddr_in addr {};
    uv_ip4_addr("127.0.0.1", 0, &addr);
    REQUIRE(uv_tcp_bind(tcp.get(), reinterpret_cast<const struct sockaddr*>(&addr), 0) == 0);
    REQUIRE(uv_listen(tcp.stream(), 4, &Listener::onConnection) == 0);
    int len = sizeof addr;
    uv_tcp_getsockname(tcp.get(), reinterpret_cast<struct sockaddr*>(&addr), &len);
    port = ntohs(addr.sin_port);
  }
  static void onConnection(uv_stream_t* l, int) noexcept {
    auto* self = ownerOf<Listener>(l);
    auto accepted = Stream::accept(self->loop, l, self->tls, &self->peer);
    if (accepted) self->peer.stream = std::move(*accepted);
  }
};

std::unique_ptr<Stream> connectTo(Loop& loop, uint16_t port, std::shared_ptr<TlsContext> tls, Peer& peer,
                                  std::chrono::milliseconds timeout = 10s) {
  Stream::ConnectOptions o;
  o.host = "127.0.0.1";
  o.port = port;
  o.tls = std::move(tls);
  o.connect_timeout = timeout;
  return Stream::connect(loop, o, &peer);
}

// A TLS server on the loop and a client connecting to it, verifying it against the test CA.
struct TlsPair {
  CertFixture f;
  Listener server;
  Peer client;
  explicit TlsPair(Loop& loop) : server(loop, f.serverTls()) {
    client.stream = connectTo(loop, server.port, CertFixture::clientTls(f.certs.ca_cert), client);
  }
};

}  // namespace

TEST_CASE("TLS: what is written before the handshake is done is sent once it is", "[net]") {
  Loop loop;
  {
    TlsPair tls(loop);
    auto& [f, server, client] = tls;
    client.send("hello ");
    client.send("world");
    CHECK(client.stream->pendingWriteBytes() == 11);
    REQUIRE(runLoopUntil(loop, [&] { return server.peer.received.size() >= 11; }, kDeadline));
    CHECK(server.peer.received == "hello world");
    CHECK(client.connected);
    CHECK(server.peer.connected);  // the server's handshake is done too
    CHECK(client.stream->socketBytesWritten() > 11);  // records and the handshake, not plaintext
  }
  REQUIRE(loop.close() == 0);
}

TEST_CASE("TLS: records decrypted while the reader paused are delivered when it resumes", "[net]") {
  Loop loop;
  {
    TlsPair tls(loop);
    auto& [f, server, client] = tls;
    const std::string sent(256 * 1024, 'r');
    server.peer.on_data = [&](Peer& p) {
      if (p.received == "go") p.send(sent);
    };
    bool paused = false;
    int while_paused = 0;
    client.on_data = [&](Peer& p) {
      if (paused) ++while_paused;
      if (p.received.size() < sent.size() && !paused) {
        paused = true;
        p.stream->pauseReading();
        loop.post([&] {
          paused = false;
          p.stream->resumeReading();
        });
      }
    };
    client.send("go");
    REQUIRE(runLoopUntil(loop, [&] { return client.received.size() >= sent.size(); }, kDeadline));
    CHECK(client.received == sent);
    CHECK(while_paused == 0);
  }
  REQUIRE(loop.close() == 0);
}

TEST_CASE("TLS: a graceful shutdown delivers everything and ends when the peer closes", "[net]") {
  Loop loop;
  {
    TlsPair tls(loop);
    auto& [f, server, client] = tls;
    REQUIRE(runLoopUntil(loop, [&] { return client.connected; }, kDeadline));
    const std::string sent(1 << 20, 's');
    client.send(sent);
    bool done = false;
    auto started = std::chrono::steady_clock::now();
    client.stream->shutdown(10s, [&] { done = true; });
    REQUIRE(runLoopUntil(loop, [&] { return done && server.peer.closed; }, kDeadline));
    // The server saw the close_notify, answered it and closed: well before the 10 s the client would wait.
    CHECK(std::chrono::steady_clock::now() - started < 5s);
    CHECK(server.peer.received.size() == sent.size());
    CHECK(server.peer.why.code == UV_EOF);
    CHECK_FALSE(client.closed);  // no handler callback after shutdown()
  }
  REQUIRE(loop.close() == 0);
}

TEST_CASE("TLS: a peer that never answers the ClientHello times the handshake out", "[net]") {
  CertFixture f;
  Loop loop;
  {
    Listener silent(loop, nullptr);
    Peer client;
    client.stream = connectTo(loop, silent.port, CertFixture::clientTls(f.certs.ca_cert), client, 200ms);
    REQUIRE(runLoopUntil(loop, [&] { return client.closed; }, kDeadline));
    CHECK(client.why.message ==
          "TLS handshake with 127.0.0.1:" + std::to_string(silent.port) + " timed out after 200ms");
    CHECK(client.why.code == UV_ETIMEDOUT);
    CHECK_FALSE(client.connected);
  }
  REQUIRE(loop.close() == 0);
}

TEST_CASE("TLS: closing before the connection is up cancels the writes waiting for it", "[net]") {
  Loop loop;
  {
    TlsPair tls(loop);
    auto& client = tls.client;
    int status = 1;
    std::string bytes = "never sent";
    uv_buf_t b = uv_buf_init(bytes.data(), static_cast<unsigned>(bytes.size()));
    client.stream->write(&b, 1, [&](int st) { status = st; });
    client.stream->close();
    CHECK(status == 1);  // on a later turn, never from within close()
    REQUIRE(runLoopUntil(loop, [&] { return status != 1; }, kDeadline));
    CHECK(status == UV_ECANCELED);
    CHECK_FALSE(client.stream->isOpen());
    CHECK_FALSE(client.closed);
  }
  REQUIRE(loop.close() == 0);
}
