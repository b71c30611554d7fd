#include <catch2/catch.hpp>

#include <string>

#include "agent/formats/http_status_text.h"
#include "agent/net/http.h"
#include "agent/net/http_server.h"
#include "agent/net/llhttp_settings.h"

using namespace sluice;

TEST_CASE("header lookup ignores case and returns null when absent", "[net]") {
  std::vector<HttpHeader> headers{{"Content-Type", "text/plain"}, {"logplex-msg-count", "3"}};
  REQUIRE(findHeader(headers, "content-type") != nullptr);
  CHECK(*findHeader(headers, "CONTENT-TYPE") == "text/plain");
  CHECK(*findHeader(headers, "Logplex-Msg-Count") == "3");
  CHECK(findHeader(headers, "Content-Length") == nullptr);
  CHECK(findHeader(headers, "Content-Typ") == nullptr);
}

TEST_CASE("header names and tokens compare without case, and a header value lists its tokens", "[net]") {
  CHECK(equalsNoCase("Content-Length", "content-length"));
  CHECK_FALSE(equalsNoCase("Content-Length", "Content-Lengt"));
  CHECK_FALSE(equalsNoCase("", "x"));
  const std::string connection = "keep-alive , Upgrade,\tclose";
  CHECK(headerHasToken(&connection, "upgrade"));
  CHECK(headerHasToken(&connection, "KEEP-ALIVE"));
  CHECK(headerHasToken(&connection, "close"));
  CHECK_FALSE(headerHasToken(&connection, "up"));
  const std::string empty;
  CHECK_FALSE(headerHasToken(&empty, "close"));
  CHECK_FALSE(headerHasToken(nullptr, "close"));
}

namespace {
// Only some of llhttp's callbacks: the others stay unset.
struct UrlAndBody {
  static int onUrl(llhttp_t* p, const char* at, size_t n) {
    static_cast<std::string*>(p->data)->append("url:").append(at, n).append(";");
    return 0;
  }
  static int onBody(llhttp_t* p, const char* at, size_t n) {
    static_cast<std::string*>(p->data)->append("body:").append(at, n).append(";");
    return 0;
  }
};
}  // namespace

TEST_CASE("llhttp settings are built once from the callbacks a struct defines", "[net]") {
  const llhttp_settings_t* s = llhttpSettings<UrlAndBody>();
  CHECK(s == llhttpSettings<UrlAndBody>());
  CHECK(s->on_url == &UrlAndBody::onUrl);
  CHECK(s->on_body == &UrlAndBody::onBody);
  CHECK(s->on_message_begin == nullptr);
  CHECK(s->on_header_field == nullptr);
  CHECK(s->on_headers_complete == nullptr);
  CHECK(s->on_message_complete == nullptr);

  llhttp_t parser;
  llhttp_init(&parser, HTTP_REQUEST, s);
  std::string seen;
  parser.data = &seen;
  const std::string request = "POST /logs HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nhi";
  CHECK(llhttp_execute(&parser, request.data(), request.size()) == HPE_OK);
  CHECK(seen == "url:/logs;body:hi;");
}

TEST_CASE("status texts cover the codes a drain and the admin API use", "[net]") {
  // The status line's reason phrase comes from the access-log formats' table (formats/http_status_text.h).
  const std::pair<int, std::string_view> used[] = {
      {200, "OK"}, {204, "No Content"}, {413, "Content Too Large"}, {429, "Too Many Requests"},
      {431, "Request Header Fields Too Large"}, {503, "Service Unavailable"}, {599, "Server Error"},
  };
  for (const auto& [status, text] : used) CHECK(statusText(status) == text);
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
