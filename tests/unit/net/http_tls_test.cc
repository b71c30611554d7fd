// Certificate and name verification as an HttpClient user sees it.
#include <catch2/catch.hpp>

#include "tests/unit/net/net_fixture.h"

using namespace sluice;

namespace {

// A TLS server with the test certificates that answers "ok" (and wants a client certificate the test CA signed when
// `client_certs`), and GET / against it.
struct OkOverTls {
  CertFixture f;
  NetTest t;
  explicit OkOverTls(bool client_certs = false) {
    t.serve(f.tlsServer(client_certs ? f.certs.ca_cert : ""),
            [](HttpServerRequest&&, HttpResponder responder) { responder.respond(200, {}, "ok"); });
  }
  // A client with `tls` that expects the server's certificate to name `server_name` ("": the host it connects to).
  HttpClient::Options client(std::shared_ptr<TlsContext> tls, const std::string& server_name = "") const {
    HttpClient::Options o = clientOptions(t.port, std::move(tls));
    o.server_name = server_name;
    return o;
  }
  Result<HttpResponse> getRoot(HttpClient& client) { return roundTrip(t.loop, client, get("/")); }
};

}  // namespace

TEST_CASE("a server certificate from the wrong CA fails with OpenSSL's verify reason", "[net]") {
  OkOverTls s;
  HttpClient client(s.t.loop, s.client(CertFixture::clientTls(s.f.certs.wrong_ca_cert)));
  auto r = s.getRoot(client);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message == "TLS handshake with 127.0.0.1:" + std::to_string(s.t.port) +
                                 " failed: certificate verify failed: unable to get local issuer certificate");
  CHECK(client.openConnections() == 0);
}

TEST_CASE("a certificate for another name fails with a hostname mismatch", "[net]") {
  OkOverTls s;
  HttpClient client(s.t.loop, s.client(CertFixture::clientTls(s.f.certs.ca_cert), "drain.example.com"));
  auto r = s.getRoot(client);
  REQUIRE_FALSE(r.ok());
  CHECK_THAT(r.error().message, Catch::EndsWith("certificate verify failed: hostname mismatch"));
}

TEST_CASE("verify=false accepts a certificate no trusted CA signed", "[net]") {
  OkOverTls s;
  HttpClient client(s.t.loop, s.client(CertFixture::clientTls(s.f.certs.wrong_ca_cert, false), "not-the-name.example"));
  auto r = s.getRoot(client);
  INFO((r ? std::string() : r.error().message));
  REQUIRE(r.ok());
  CHECK(r->body == "ok");
}

TEST_CASE("a server requiring client certificates accepts one its CA signed", "[net]") {
  OkOverTls s(true);
  const TestCerts& certs = s.f.certs;
  HttpClient with(s.t.loop, s.client(CertFixture::clientTls(certs.ca_cert, true, certs.client_cert, certs.client_key)));
  auto r = s.getRoot(with);
  INFO((r ? std::string() : r.error().message));
  REQUIRE(r.ok());
  CHECK(r->status == 200);

  // Without a certificate the server refuses; with TLS 1.3 the client learns it from the first read.
  HttpClient without(s.t.loop, s.client(CertFixture::clientTls(certs.ca_cert)));
  auto refused = s.getRoot(without);
  REQUIRE_FALSE(refused.ok());
  CHECK_THAT(refused.error().message, Catch::Contains("certificate required"));
}
