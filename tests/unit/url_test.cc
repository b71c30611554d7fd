#include <catch2/catch.hpp>

#include "agent/core/url.h"

using namespace sluice;

namespace {

std::string errorOf(std::string_view text) {
  Result<ParsedUrl> r = parseUrl(text);
  return r.ok() ? "(parsed)" : r.error().message;
}

}  // namespace

TEST_CASE("a drain URL yields its scheme, token, host, port and target", "[config]") {
  Result<ParsedUrl> r = parseUrl("HTTPS://token:s3cret@logs.example.com:8443/logs?app=web");
  REQUIRE(r.ok());
  CHECK(r->scheme == "https");
  CHECK(r->user == "token");
  CHECK(r->password == "s3cret");
  CHECK(r->has_password);
  CHECK(r->host == "logs.example.com");
  CHECK(r->port == 8443);
  CHECK(r->port_explicit);
  CHECK(r->target == "/logs?app=web");
}

TEST_CASE("each scheme has its default port", "[config]") {
  CHECK(parseUrl("https://h")->port == 443);
  CHECK(parseUrl("http://h")->port == 80);
  CHECK(parseUrl("tls://h")->port == 6514);
  CHECK(parseUrl("tcp://h")->port == 514);
  CHECK(parseUrl("udp://h")->port == 514);
  CHECK_FALSE(parseUrl("https://h")->port_explicit);
}

TEST_CASE("an empty target becomes / and a bare query gets a leading /", "[config]") {
  CHECK(parseUrl("https://h")->target == "/");
  CHECK(parseUrl("https://h:1")->target == "/");
  CHECK(parseUrl("https://h?x=1")->target == "/?x=1");
  CHECK(parseUrl("https://h/a#frag")->target == "/a");
}

TEST_CASE("user info is percent-decoded and the last @ ends it", "[config]") {
  Result<ParsedUrl> r = parseUrl("https://us%65r:p%40ss%3Aword@h/");
  REQUIRE(r.ok());
  CHECK(r->user == "user");
  CHECK(r->password == "p@ss:word");
  Result<ParsedUrl> raw = parseUrl("https://token:a@b@h/");
  REQUIRE(raw.ok());
  CHECK(raw->password == "a@b");
  CHECK(raw->host == "h");
  Result<ParsedUrl> nopass = parseUrl("https://token@h/");
  REQUIRE(nopass.ok());
  CHECK(nopass->user == "token");
  CHECK_FALSE(nopass->has_password);
  CHECK(errorOf("https://a:%zz@h/") == "URL has a bad percent-encoding in its password");
  CHECK(errorOf("https://a:%4@h/") == "URL has a bad percent-encoding in its password");
}

TEST_CASE("IPv6 literals are written in brackets and stored without them", "[config]") {
  Result<ParsedUrl> r = parseUrl("tls://[2001:db8::1]:6514/");
  REQUIRE(r.ok());
  CHECK(r->host == "2001:db8::1");
  CHECK(r->port == 6514);
  CHECK(r->hostIsIpLiteral());
  CHECK(parseUrl("https://[::1]")->port == 443);
  CHECK(errorOf("https://[::1/") == "URL has an unterminated IPv6 address ('[' without ']')");
  CHECK(errorOf("https://[not-v6]/") == "URL has an invalid IPv6 address");
  CHECK(errorOf("https://2001:db8::1/") == "URL has an IPv6 address without brackets (write [addr]:port)");
}

TEST_CASE("an IPv4 address is a literal and a name is not", "[config]") {
  CHECK(parseUrl("tcp://10.0.0.1:514")->hostIsIpLiteral());
  CHECK_FALSE(parseUrl("tcp://collector.local:514")->hostIsIpLiteral());
}

TEST_CASE("a URL without a host is rejected", "[config]") {
  CHECK(errorOf("https:///logs") == "URL has no host");
  CHECK(errorOf("https://token:x@/logs") == "URL has no host");
  CHECK(errorOf("https://:443/") == "URL has no host");
}

TEST_CASE("port 0, a port above 65535 and a non-numeric port are rejected", "[config]") {
  CHECK(errorOf("https://h:0/") == "URL port '0' is out of range (1-65535)");
  CHECK(errorOf("https://h:65536/") == "URL port '65536' is out of range (1-65535)");
  CHECK(errorOf("https://h:99999999999/") == "URL port '99999999999' is out of range (1-65535)");
  CHECK(errorOf("https://h:https/") == "URL port 'https' is not a number");
  CHECK(errorOf("https://h:/") == "URL has an empty port");
  CHECK(parseUrl("https://h:65535/")->port == 65535);
}

TEST_CASE("spaces and control characters are rejected without echoing the URL", "[config]") {
  CHECK(errorOf("https://h/a b") == "URL contains a space or control character");
  CHECK(errorOf("https://token:sec\tret@h/") == "URL contains a space or control character");
  CHECK(errorOf(" https://h/") == "URL contains a space or control character");
  CHECK(errorOf("https://h/\x7f") == "URL contains a space or control character");
}

TEST_CASE("a URL needs a scheme", "[config]") {
  CHECK(errorOf("") == "URL is empty");
  CHECK(errorOf("logs.example.com/logs") ==
        "URL has no scheme (expected scheme://host, e.g. https://logs.example.com/logs)");
  CHECK(errorOf("://h/") == "URL has no scheme (expected scheme://host, e.g. https://logs.example.com/logs)");
  CHECK(errorOf("1ttp://h/") == "URL has an invalid scheme");
  CHECK(errorOf("https://h<o>st/") == "URL has an invalid character in its host");
}

TEST_CASE("the authority shows the port only when it is not the scheme's default", "[config]") {
  CHECK(parseUrl("https://h/")->authority() == "h");
  CHECK(parseUrl("https://h:443/")->authority() == "h");
  CHECK(parseUrl("https://h:8443/")->authority() == "h:8443");
  CHECK(parseUrl("https://[::1]:8443/")->authority() == "[::1]:8443");
  CHECK(parseUrl("https://[::1]/")->authority() == "[::1]");
}

TEST_CASE("a redacted URL hides the password and keeps everything else", "[config]") {
  CHECK(parseUrl("https://token:s3cret@h:8443/logs?x=1")->redacted() == "https://token:***@h:8443/logs?x=1");
  CHECK(parseUrl("https://h/logs")->redacted() == "https://h/logs");
  CHECK(parseUrl("https://a%20b@h")->redacted() == "https://a%20b@h/");
  Result<ParsedUrl> again = parseUrl(parseUrl("https://us:er:pw@[::1]/")->redacted());
  REQUIRE(again.ok());
  CHECK(again->user == "us");
  CHECK(again->password == "***");
}
