// `sluice check --show`'s pieces: a section as YAML (every key, defaults, credentials masked) and the names of
// flags in errors about quick mode's config.
#include <yaml-cpp/yaml.h>

#include <catch2/catch.hpp>

#include "agent/config/option_show.h"
#include "agent/config/options.h"

using namespace sluice;

namespace {

const OptionSpec kTable[] = {
    {"name", OptionType::String, kRequired, "the name"},
    {"url", OptionType::Url, kRequired, "the drain"},
    {"token", OptionType::Secret, "", "the password"},
    {"batch.max_bytes", OptionType::Size, "1MiB", "bytes"},
    {"enabled", OptionType::Bool, "true", "on or off"},
    {"batch.linger", OptionType::Duration, "200ms", "time"},
    {"max_in_flight", OptionType::Count, "4", "unsigned"},
    secretOption({"headers", OptionType::StringMap, "{}", "may carry credentials"}),
    {"tokens", OptionType::StringList, "[]", "a credential by its name only"},
    {"paths", OptionType::StringList, "[]", "globs"},
};

OptionValues parse(const std::string& yaml, ConfigErrors& errors) {
  return parseOptions(YAML::Load(yaml), Mark{"test.yaml", 1, 1}, {kTable}, errors);
}

}  // namespace

TEST_CASE("showOptions writes every key in the table's order, defaults included, groups nested", "[config]") {
  ConfigErrors errors;
  OptionValues v = parse("url: https://x.example/logs\nname: d\nbatch: {linger: 1s}\npaths: [/a, /b]\n", errors);
  REQUIRE(errors.empty());
  CHECK(showOptions(v, "logplex_https") ==
        "name: d\n"
        "type: logplex_https\n"
        "url: https://x.example/logs\n"
        "token: \"\"\n"
        "batch:\n"
        "  max_bytes: 1MiB\n"
        "  linger: 1s\n"
        "enabled: true\n"
        "max_in_flight: 4\n"
        "headers: {}\n"
        "tokens: []\n"
        "paths: [/a, /b]");
}

TEST_CASE("showOptions masks secrets, credential-named keys and the password of a URL", "[config]") {
  ConfigErrors errors;
  OptionValues v = parse("name: d\nurl: https://token:HUSH1@x.example/logs\ntoken: HUSH2\n"
                         "headers: {Authorization: Bearer HUSH3}\ntokens: [HUSH4, HUSH5]\n"
                         "paths: ['ftp://u:HUSH6@h/p']\n", errors);
  REQUIRE(errors.empty());
  std::string shown = showOptions(v);
  INFO(shown);
  CHECK(shown.find("HUSH") == std::string::npos);
  CHECK(shown.find("url: https://token:****@x.example/logs") != std::string::npos);
  CHECK(shown.find("token: \"****\"") != std::string::npos);
  CHECK(shown.find("Authorization: \"****\"") != std::string::npos);
  CHECK(shown.find("tokens: [\"****\", \"****\"]") != std::string::npos);
}

TEST_CASE("what showOptions writes parses back to the same values", "[config]") {
  ConfigErrors errors;
  OptionValues v = parse("name: \"a: b # c\"\nurl: https://x.example/l?q=1\nbatch.max_bytes: 1536KiB\n"
                         "batch.linger: 1m30s\n", errors);
  REQUIRE(errors.empty());
  ConfigErrors again;
  OptionValues back = parse(showOptions(v), again);
  INFO(again.joined());
  REQUIRE(again.empty());
  CHECK(back.fingerprint() == v.fingerprint());
}

TEST_CASE("maskUrlPassword hides only the password of a URL's user info", "[config]") {
  CHECK(maskUrlPassword("https://token:SECRET@host/logs") == "https://token:****@host/logs");
  CHECK(maskUrlPassword("https://token:a@b@host:8443") == "https://token:****@host:8443");
  CHECK(maskUrlPassword("https://user@host/logs") == "https://user@host/logs");
  CHECK(maskUrlPassword("https://host/a:b@c") == "https://host/a:b@c");
  CHECK(maskUrlPassword("not a url: x@y") == "not a url: x@y");
}

TEST_CASE("an error on a line written from a flag names the flag, not a position", "[config]") {
  ConfigErrors errors;
  errors.setLineOrigins("(command line)", {{3, LineOrigin{"--drain", "url"}}});
  errors.add(Mark{"(command line)", 3, 10}, "url: the scheme must be https");
  errors.add(Mark{"(command line)", 7, 1}, "no sinks configured");
  errors.add(Mark{"sluice.yaml", 3, 10}, "url: the scheme must be https");
  CHECK(errors.messages() == std::vector<std::string>{"--drain: the scheme must be https",
                                                      "(command line): no sinks configured",
                                                      "sluice.yaml:3:10: url: the scheme must be https"});
}
