// Certificate and name verification as an HttpClient user sees it.
#include <catch2/catch.hpp>

#include "tests/unit/net/net_fixture.h"

using namespace sluice;

namespace {
HttpServer::Handler ok() {
  return [](HttpServerRequest&&, HttpResponder responder) { responder.respond(200, {}, "ok"); };
}
}  // namespace

TEST_CASE("a server certificate from the wrong CA fails with OpenSSL's verify reason", "[net]") {
  CertFixture f;
  NetTest t;
  t.serve(f.tlsServer(), ok());
  HttpClient client(t.loop, clientOptions(t.port, CertFixture::clientTls(f.certs.wrong_ca_cert)));
  auto r = roundTrip(t.loop, client, get("/"));
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message == "TLS handshake with 127.0.0.1:" + std::to_string(t.port) +
                                 " failed: certificate verify failed: unable to get local issuer certificate");
  CHECK(client.openConnections() == 0);
}

TEST_CASE("a certificate for another name fails with a hostname mismatch", "[net]") {
  CertFixture f;
  NetTest t;
  t.serve(f.tlsServer(), ok());
  HttpClient::Options co = clientOptions(t.port, CertFixture::clientTls(f.certs.ca_cert));
  co.server_name = "drain.example.com";
  HttpClient client(t.loop, co);
  auto r = roundTrip(t.loop, client, get("/"));
  REQUIRE_FALSE(r.ok());
  CHECK_THAT(r.error().message, Catch::EndsWith("certificate verify failed: hostname mismatch"));
}

TEST_CASE("verify=false accepts a certificate no trusted CA signed", "[net]") {
  CertFixture f;
  NetTest t;
  t.serve(f.tlsServer(), ok());
  HttpClient::Options co = clientOptions(t.port, CertFixture::clientTls(f.certs.wrong_ca_cert, false));
  co.server_name = "not-the-name.example";
  HttpClient client(t.loop, co);
  auto r = roundTrip(t.loop, client, get("/"));
  INFO((r ? std::string() : r.error().message));
  REQUIRE(r.ok());
  CHECK(r->body == "ok");
}

TEST_CASE("a server requiring client certificates accepts one its CA signed", "[net]") {
  CertFixture f;
  NetTest t;
  t.serve(f.tlsServer(f.certs.ca_cert), ok());
  HttpClient with(t.loop, clientOptions(t.port, CertFixture::clientTls(f.certs.ca_cert, true, f.certs.client_cert,
                                                                    f.certs.client_key)));
  auto r = roundTrip(t.loop, with, get("/"));
  INFO((r ? std::string() : r.error().message));
  REQUIRE(r.ok());
  CHECK(r->status == 200);

  // Without a certificate the server refuses; with TLS 1.3 the client learns it from the first read.
  HttpClient without(t.loop, clientOptions(t.port, CertFixture::clientTls(f.certs.ca_cert)));
  auto refused = roundTrip(t.loop, without, get("/"));
  REQUIRE_FALSE(refused.ok());
  CHECK_THAT(refused.error().message, Catch::Contains("certificate required"));
}
