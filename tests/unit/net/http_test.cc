#include <catch2/catch.hpp>

#include "agent/net/http.h"
#include "agent/net/http_server.h"

using namespace sluice;

TEST_CASE("header lookup ignores case and returns null when absent", "[net]") {
  std::vector<HttpHeader> headers{{"Content-Type", "text/plain"}, {"logplex-msg-count", "3"}};
  REQUIRE(findHeader(headers, "content-type") != nullptr);
  CHECK(*findHeader(headers, "CONTENT-TYPE") == "text/plain");
  CHECK(*findHeader(headers, "Logplex-Msg-Count") == "3");
  CHECK(findHeader(headers, "Content-Length") == nullptr);
  CHECK(findHeader(headers, "Content-Typ") == nullptr);
}

TEST_CASE("status texts cover the codes a drain and the admin API use", "[net]") {
  CHECK(httpStatusText(200) == "OK");
  CHECK(httpStatusText(204) == "No Content");
  CHECK(httpStatusText(413) == "Content Too Large");
  CHECK(httpStatusText(429) == "Too Many Requests");
  CHECK(httpStatusText(431) == "Request Header Fields Too Large");
  CHECK(httpStatusText(503) == "Service Unavailable");
  CHECK(httpStatusText(599) == "Server Error");
}

TEST_CASE("a request target splits into path and query", "[net]") {
  HttpServerRequest r;
  r.target = "/logs?n=10&stream=stderr";
  CHECK(r.path() == "/logs");
  CHECK(r.query() == "n=10&stream=stderr");
  r.target = "/healthz";
  CHECK(r.path() == "/healthz");
  CHECK(r.query().empty());
}
