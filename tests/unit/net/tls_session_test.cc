#include <catch2/catch.hpp>

#include "agent/net/tls_session.h"
#include "tests/unit/net/net_fixture.h"

using namespace sluice;

namespace {

// Hands what `from` has to say to `to`; whether there was anything.
bool pass(TlsSession& from, TlsSession& to) {
  if (from.pendingOutput() == 0) return false;
  std::string bytes = from.takeOutput();
  to.feed(bytes.data(), bytes.size());
  return true;
}

// Takes the next handshake step of `side`, unless its handshake is done; the error, named after `who`, or "".
std::string step(TlsSession& side, const std::string& who) {
  if (side.handshakeDone()) return "";
  auto r = side.handshake();
  return r ? "" : who + ": " + r.error().message;
}

// Moves ciphertext both ways until neither side has anything to say; returns the first error, if any.
std::string shuttle(TlsSession& client, TlsSession& server) {
  for (int round = 0; round < 20; ++round) {
    bool moved = pass(client, server);
    if (std::string e = step(server, "server"); !e.empty()) return e;
    moved = pass(server, client) || moved;
    if (std::string e = step(client, "client"); !e.empty()) return e;
    if (!moved && client.handshakeDone() && server.handshakeDone()) return "";
  }
  return "";
}

// Everything `to` can decrypt of what it was fed.
std::string readPlain(TlsSession& to) {
  std::string plain;
  char buf[4096];
  for (;;) {
    auto got = to.read(buf, sizeof buf);
    REQUIRE(got.ok());
    if (*got == 0) break;
    plain.append(buf, *got);
  }
  return plain;
}

std::string readAll(TlsSession& to, TlsSession& from) {
  std::string bytes = from.takeOutput();
  to.feed(bytes.data(), bytes.size());
  return readPlain(to);
}

// A client session for `name` and a server session, paired in memory, the client's hello written.
struct Paired {
  CertFixture f;
  std::shared_ptr<TlsContext> client_ctx = CertFixture::clientTls(f.certs.ca_cert);
  std::shared_ptr<TlsContext> server_ctx = f.serverTls();
  std::unique_ptr<TlsSession> client, server;
  explicit Paired(const std::string& name) {
    auto c = TlsSession::client(*client_ctx, name);
    auto s = TlsSession::server(*server_ctx);
    REQUIRE(c.ok());
    REQUIRE(s.ok());
    client = std::move(*c);
    server = std::move(*s);
    REQUIRE(client->handshake().ok());  // the ClientHello
  }
  // The first error of the handshake, "" when it completed.
  std::string handshake() { return shuttle(*client, *server); }
};

}  // namespace

TEST_CASE("two TLS sessions paired in memory handshake and exchange data", "[net]") {
  Paired p("localhost");
  CHECK(p.handshake().empty());
  TlsSession& client = *p.client;
  TlsSession& server = *p.server;
  REQUIRE(client.handshakeDone());
  REQUIRE(server.handshakeDone());
  CHECK(client.verifyResult() == "ok");

  REQUIRE(client.write("hello", 5).ok());
  CHECK(readAll(server, client) == "hello");

  // Larger than many records both ways, so the 16 KiB pieces and multi-record reads are exercised.
  std::string big(300 * 1024, 'x');
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>('a' + i % 26);
  REQUIRE(server.write(big.data(), big.size()).ok());
  CHECK(readAll(client, server) == big);

  client.shutdown();
  CHECK(readAll(server, client).empty());
  CHECK(server.peerClosed());
}

TEST_CASE("writeTo puts the records in the caller's buffer, after what was pending, and keeps nothing", "[net]") {
  Paired p("localhost");
  REQUIRE(p.handshake().empty());
  TlsSession& client = *p.client;
  TlsSession& server = *p.server;
  REQUIRE(client.write("first;", 6).ok());  // pending in the session
  REQUIRE(client.pendingOutput() > 0);
  std::string big(100 * 1024, 'x');
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>('a' + i % 26);
  ByteBuffer out;
  out.append("ab", 2);  // what the buffer held stays in front
  REQUIRE(client.writeTo(big.data(), big.size(), out).ok());
  CHECK(client.pendingOutput() == 0);
  REQUIRE(out.size() > big.size() + 2);
  CHECK(out.view().substr(0, 2) == "ab");
  server.feed(out.data() + 2, out.size() - 2);
  CHECK(readPlain(server) == "first;" + big);
  // Output made after it (close_notify) is pending again, not written to the old buffer.
  const size_t size = out.size();
  client.shutdown();
  CHECK(out.size() == size);
  CHECK(readAll(server, client).empty());
  CHECK(server.peerClosed());
}

TEST_CASE("a paired session with the wrong name fails verification with OpenSSL's reason", "[net]") {
  Paired p("example.com");
  CHECK(p.handshake() == "client: certificate verify failed: hostname mismatch");
}

TEST_CASE("a paired session verifies an IP literal against the certificate's IP addresses", "[net]") {
  Paired same("127.0.0.1");
  CHECK(same.handshake().empty());
  CHECK(same.client->handshakeDone());
  Paired other("127.0.0.2");
  CHECK(other.handshake() == "client: certificate verify failed: IP address mismatch");
}

TEST_CASE("TLS contexts name the file they could not load", "[net]") {
  CertFixture f;
  auto missing = TlsContext::makeClient(TlsClientOptions{f.dir.file("nope.pem")});
  REQUIRE_FALSE(missing.ok());
  CHECK_THAT(missing.error().message, Catch::StartsWith("cannot load CA file " + f.dir.file("nope.pem") + ": "));

  auto mismatched = TlsContext::makeServer(TlsServerOptions{f.certs.server_cert, f.certs.client_key});
  REQUIRE_FALSE(mismatched.ok());
  CHECK_THAT(mismatched.error().message, Catch::Contains("does not match"));

  auto no_cert = TlsContext::makeServer(TlsServerOptions{f.dir.file("nope.pem"), f.certs.server_key});
  REQUIRE_FALSE(no_cert.ok());
  CHECK_THAT(no_cert.error().message, Catch::StartsWith("cannot load certificate file " + f.dir.file("nope.pem")));

  auto client_cert = TlsContext::makeClient(TlsClientOptions{f.certs.ca_cert, true, f.certs.client_cert, f.certs.client_key});
  CHECK(client_cert.ok());
}
