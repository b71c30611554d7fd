// The shared option groups (tls.*, timeouts, an HTTP client's token and headers): how a plugin's table is made of
// them, and the one reader of each.
#include <yaml-cpp/yaml.h>

#include <catch2/catch.hpp>

#include "agent/config/http_options.h"
#include "agent/config/tls_options.h"

using namespace sluice;
using namespace std::chrono_literals;

namespace {

constexpr OptionSpec kOwn[] = {
    {"url", OptionType::Url, kRequired, "the endpoint"},
};
constexpr OptionSpec kGroup[] = {
    {"token", OptionType::Secret, "", "the password"},
    {"timeout", OptionType::Duration, "30s", "a request fails after this"},
};
constexpr auto kJoined = joinOptions(kOwn, scopedOptions(withHelp(kGroup, "timeout", "how long"), "http output"));
static_assert(kJoined.size() == 3);

struct Read {
  ConfigErrors errors;
  OptionValues values;
};

template <class Table>
Read read(const Table& table, const std::string& yaml) {
  Read r;
  r.values = parseOptions(YAML::Load(yaml), Mark{"test.yaml", 1, 1}, {std::span<const OptionSpec>(table)}, r.errors);
  return r;
}

ParsedUrl url(const std::string& text) {
  Result<ParsedUrl> u = parseUrl(text);
  REQUIRE(u.ok());
  return *u;
}

}  // namespace

TEST_CASE("a table joined from groups keeps their keys and says where a scoped group applies", "[config]") {
  CHECK(kJoined[0].name == "url");
  CHECK(kJoined[1].name == "token");
  CHECK(kJoined[2].help == "how long");
  CHECK(describeOptions(kJoined) ==
        "  NAME     TYPE      DEFAULT   HELP\n"
        "  url      url       required  the endpoint\n"
        "  token    secret    (secret)  http output: the password\n"
        "  timeout  duration  30s       http output: how long\n");
}

TEST_CASE("a group's keys set where it does not apply are errors naming where it does", "[config]") {
  Read r = read(kJoined, "{url: 'https://h', token: x}");
  rejectOutside(r.values, kGroup, "http output", r.errors);
  CHECK(r.errors.messages() == std::vector<std::string>{"test.yaml:1:27: token applies to http output only"});
}

TEST_CASE("a client certificate needs its key, and a served one too", "[config]") {
  Read client = read(kTlsClientOptions, "tls: {cert_file: c.pem, server_name: n.example, verify: false}");
  TlsClientSettings s = readTlsClientOptions(client.values, client.errors);
  CHECK(s.server_name == "n.example");
  CHECK_FALSE(s.options.verify);
  REQUIRE(client.errors.size() == 1);
  CHECK_THAT(client.errors.messages()[0], Catch::Contains("tls.cert_file and tls.key_file go together"));

  Read server = read(kTlsServerOptions, "tls: {key_file: k.pem}");
  (void)readTlsServerOptions(server.values, server.errors);
  REQUIRE(server.errors.size() == 1);
  CHECK_THAT(server.errors.messages()[0], Catch::Contains("tls.cert_file and tls.key_file go together"));

  Read both = read(kTlsServerOptions, "tls: {cert_file: c.pem, key_file: k.pem}");
  TlsServerOptions o = readTlsServerOptions(both.values, both.errors);
  CHECK(both.errors.empty());
  CHECK(o.cert_file == "c.pem");
  CHECK(o.key_file == "k.pem");
}

TEST_CASE("timeouts must be positive", "[config]") {
  Read r = read(kTimeoutOptions, "{timeout: 0, connect_timeout: 2s}");
  Timeouts t = readTimeouts(r.values, r.errors);
  CHECK(t.connect_timeout == 2s);
  CHECK(r.errors.messages() == std::vector<std::string>{"test.yaml:1:11: timeout must be positive"});
}

TEST_CASE("an HTTP client's credentials leave the URL, the token winning over its password", "[config]") {
  Read r = read(kHttpClientOptions, "{}");
  HttpClientSettings s = readHttpClientOptions(r.values, url("https://token:FROM-URL@h.example/logs"), r.errors);
  CHECK(s.auth_user == "token");
  CHECK(s.auth_password == "FROM-URL");
  CHECK(s.url.redacted() == "https://h.example/logs");
  CHECK(s.secure());

  Read t = read(kHttpClientOptions, "{token: FROM-KEY, timeout: 5s}");
  s = readHttpClientOptions(t.values, url("http://u:FROM-URL@h.example/"), t.errors);
  CHECK(s.auth_user == "u");
  CHECK(s.auth_password == "FROM-KEY");
  CHECK(s.timeouts.timeout == 5s);
  CHECK_FALSE(s.secure());
  CHECK(t.errors.empty());
}

TEST_CASE("an HTTP client refuses a header it cannot send as it is", "[config]") {
  Read r = read(kHttpClientOptions, "headers: {'X Bad': v, X-Good: v}");
  HttpClientSettings s = readHttpClientOptions(r.values, url("https://h.example/"), r.errors);
  REQUIRE(r.errors.size() == 1);
  CHECK_THAT(r.errors.messages()[0], Catch::Contains("headers: invalid header 'X Bad'"));
  CHECK(s.auth_user.empty());
}
