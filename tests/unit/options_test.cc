#include <yaml-cpp/yaml.h>

#include <catch2/catch.hpp>
#include <cstdlib>

#include "agent/app/agent_config.h"
#include "agent/config/options.h"
#include "agent/sink/sink_options.h"
#include "agent/sources/source_options.h"

using namespace sluice;
using namespace std::chrono_literals;
using Messages = std::vector<std::string>;

namespace {

const OptionSpec kTable[] = {
    {"url", OptionType::Url, kRequired, "the drain"},
    {"token", OptionType::Secret, "", "the password"},
    {"enabled", OptionType::Bool, "true", "on or off"},
    {"offset", OptionType::Int, "-5", "signed"},
    {"max_in_flight", OptionType::Count, "4", "unsigned"},
    {"batch.max_bytes", OptionType::Size, "1MiB", "bytes"},
    {"batch.linger", OptionType::Duration, "200ms", "time"},
    {"buffer.when_full", OptionType::Enum, "block", "policy", "block|drop_newest|drop_oldest"},
    {"command", OptionType::StringList, "[]", "argv"},
    {"env", OptionType::StringMap, "{}", "variables"},
    {"tls.verify", OptionType::Bool, "true", "check the certificate"},
};

struct Parsed {
  OptionValues values;
  ConfigErrors errors;
};

Parsed parse(const std::string& yaml, std::initializer_list<std::string_view> ignore = {}) {
  Parsed p;
  YAML::Node node = YAML::Load(yaml);
  p.values = parseOptions(node, Mark{"test.yaml", 1, 1}, {kTable}, p.errors, ignore);
  return p;
}

// What kTable's typed keys should read as, checked one getter each.
struct Typed {
  bool enabled;
  int64_t offset;
  uint64_t max_in_flight, max_bytes;
  std::chrono::milliseconds linger;
  std::string when_full;
  std::vector<std::string> command;
  std::map<std::string, std::string> env;
};
void checkTyped(const OptionValues& v, const Typed& want) {
  CHECK(v.boolean("enabled") == want.enabled);
  CHECK(v.integer("offset") == want.offset);
  CHECK(v.count("max_in_flight") == want.max_in_flight);
  CHECK(v.size("batch.max_bytes") == want.max_bytes);
  CHECK(v.duration("batch.linger") == want.linger);
  CHECK(v.str("buffer.when_full") == want.when_full);
  CHECK(v.list("command") == want.command);
  CHECK(v.map("env") == want.env);
}

// The errors of parsing `yaml` (after a valid url:).
Messages errorsOf(const std::string& yaml) { return parse("url: https://h\n" + yaml).errors.messages(); }

// Variables private to this file's tests, set for the life of one test case.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) { ::setenv(name, value, 1); }
  ~ScopedEnv() { ::unsetenv(name_); }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  const char* name_;
};

}  // namespace

TEST_CASE("an absent section gets every default and only required keys are reported", "[config]") {
  Parsed p = parse("");
  CHECK(p.errors.messages() == Messages{"test.yaml:1:1: missing required key 'url'"});
  checkTyped(p.values, {.enabled = true, .offset = -5, .max_in_flight = 4, .max_bytes = 1 << 20,
                        .linger = 200ms, .when_full = "block", .command = {}, .env = {}});
  CHECK_FALSE(p.values.isSet("enabled"));
  CHECK(p.values.mark("enabled").line == 1);
  CHECK(p.values.sectionMark().file == "test.yaml");
}

TEST_CASE("written values are typed, marked with their position and reported as set", "[config]") {
  Parsed p = parse(
      "url: https://h/logs\n"
      "enabled: off\n"
      "offset: -12\n"
      "max_in_flight: 8\n"
      "batch:\n"
      "  max_bytes: 2MiB\n"
      "  linger: 1s\n"
      "buffer: { when_full: drop_oldest }\n"
      "command: [\"/bin/app\", \"--port\", \"8080\"]\n"
      "env: { A: \"1\", B: two }\n"
      "tls:\n"
      "  verify: No\n");
  CHECK(p.errors.empty());
  checkTyped(p.values, {.enabled = false, .offset = -12, .max_in_flight = 8, .max_bytes = 2 << 20, .linger = 1s,
                        .when_full = "drop_oldest", .command = {"/bin/app", "--port", "8080"},
                        .env = {{"A", "1"}, {"B", "two"}}});
  CHECK(p.values.str("url") == "https://h/logs");
  CHECK_FALSE(p.values.boolean("tls.verify"));
  CHECK(p.values.isSet("batch.linger"));
  CHECK(p.values.mark("batch.linger").line == 7);
  CHECK(p.values.mark("batch.linger").column == 11);
}

TEST_CASE("each item of a written list is marked with its own position", "[config]") {
  Parsed block = parse("url: https://h\ncommand:\n  - /bin/app\n  - \"--port\"\n");
  REQUIRE(block.errors.empty());
  CHECK(block.values.itemMark("command", 0).line == 3);
  CHECK(block.values.itemMark("command", 1).line == 4);
  CHECK(block.values.itemMark("command", 1).column == 5);
  Parsed flow = parse("url: https://h\ncommand: [a, bb]\n");
  CHECK(flow.values.itemMark("command", 1).line == 2);
  CHECK(flow.values.itemMark("command", 1).column == 14);
  // Past the end, or a list that was not written: the key's own mark.
  CHECK(flow.values.itemMark("command", 5).column == flow.values.mark("command").column);
  CHECK(parse("url: https://h\n").values.itemMark("command", 0).line == 1);
}

TEST_CASE("each key of a written map is marked with its own position", "[config]") {
  Parsed block = parse("url: https://h\nenv:\n  ZED: 1\n  ALPHA: 2\n");
  REQUIRE(block.errors.empty());
  CHECK(block.values.keyMark("env", "ZED").line == 3);
  CHECK(block.values.keyMark("env", "ALPHA").line == 4);
  CHECK(block.values.keyMark("env", "ALPHA").column == 3);
  Parsed flow = parse("url: https://h\nenv: {a: 1, bb: 2}\n");
  CHECK(flow.values.keyMark("env", "bb").column == 13);
  // A key not written: the map's own mark.
  CHECK(flow.values.keyMark("env", "c").column == flow.values.mark("env").column);
}

TEST_CASE("an unknown key is reported with the nearest valid key at its level", "[config]") {
  CHECK(errorsOf("batch:\n  lingr: 1s\n") == Messages{"test.yaml:3:3: unknown key 'lingr' (did you mean 'linger'?)"});
}

TEST_CASE("an unknown key with no near match lists the valid keys at its level", "[config]") {
  CHECK(errorsOf("batch:\n  size: 1s\n") ==
        Messages{"test.yaml:3:3: unknown key 'size' (valid keys: linger, max_bytes)"});
}

TEST_CASE("a nested key written at the top suggests its full dotted name", "[config]") {
  CHECK(errorsOf("linger: 1s\n") == Messages{"test.yaml:2:1: unknown key 'linger' (did you mean 'batch.linger'?)"});
}

TEST_CASE("dotted keys may be written flat, and a key given twice is an error", "[config]") {
  Parsed ok = parse("url: https://h\nbatch.linger: 3s\n");
  CHECK(ok.errors.empty());
  CHECK(ok.values.duration("batch.linger") == 3s);
  CHECK(errorsOf("batch.linger: 3s\nbatch:\n  linger: 4s\n") ==
        Messages{"test.yaml:4:3: duplicate key 'batch.linger' (first at test.yaml:2:1)"});
}

TEST_CASE("a group that is not a mapping is an error naming the group", "[config]") {
  CHECK(errorsOf("batch: 5\n") == Messages{"test.yaml:2:8: key 'batch' must be a mapping"});
}

TEST_CASE("a value of the wrong YAML kind is an error naming the key and the expected kind", "[config]") {
  CHECK(errorsOf("command: { a: b }\n") == Messages{"test.yaml:2:10: 'command' must be a list of strings"});
  CHECK(errorsOf("command: [a, [b]]\n") == Messages{"test.yaml:2:14: 'command' must be a list of strings"});
  CHECK(errorsOf("env: [a]\n") == Messages{"test.yaml:2:6: 'env' must be a mapping of strings to strings"});
  CHECK(errorsOf("batch:\n  linger: [1s]\n") ==
        Messages{"test.yaml:3:11: 'batch.linger' must be a duration, not a list"});
  Parsed empty = parse("url: https://h\nmax_in_flight:\n");
  CHECK(empty.errors.messages().size() == 1);
  CHECK_THAT(empty.errors.messages()[0],
             Catch::EndsWith(": 'max_in_flight' has no value (expected a non-negative integer)"));
}

TEST_CASE("a single scalar is accepted as a list of one", "[config]") {
  Parsed p = parse("url: https://h\ncommand: /bin/app\n");
  CHECK(p.errors.empty());
  CHECK(p.values.list("command") == std::vector<std::string>{"/bin/app"});
}

TEST_CASE("bad sizes, durations, numbers and booleans are errors naming the key", "[config]") {
  Parsed p = parse(
      "url: https://h\n"
      "enabled: maybe\n"
      "offset: 1.5\n"
      "max_in_flight: -1\n"
      "batch:\n"
      "  max_bytes: 1XB\n"
      "  linger: 5\n");
  CHECK(p.errors.messages() ==
        Messages{
            "test.yaml:2:10: enabled: expected true or false (or yes/no, on/off), got 'maybe'",
            "test.yaml:3:9: offset: expected an integer, got '1.5'",
            "test.yaml:4:16: max_in_flight: expected a non-negative integer, got '-1'",
            "test.yaml:6:14: batch.max_bytes: invalid size '1XB' (expected a number and a unit: B, KiB, MiB, GiB, "
            "TiB, KB, MB, GB, TB)",
            "test.yaml:7:11: batch.linger: duration '5' needs a unit (e.g. 5s or 5ms)",
        });
  // What failed keeps its default.
  CHECK(p.values.count("max_in_flight") == 4);
  CHECK(p.values.duration("batch.linger") == 200ms);
}

TEST_CASE("an enum value outside its choices lists them", "[config]") {
  CHECK(errorsOf("buffer:\n  when_full: fast\n") ==
        Messages{"test.yaml:3:14: buffer.when_full: value 'fast' is not one of: block, drop_newest, drop_oldest"});
  CHECK(errorsOf("buffer:\n  when_full: drop_odlest\n") ==
        Messages{"test.yaml:3:14: buffer.when_full: value 'drop_odlest' is not one of: block, drop_newest, "
                 "drop_oldest (did you mean 'drop_oldest'?)"});
  Parsed upper = parse("url: https://h\nbuffer:\n  when_full: Drop_Newest\n");
  CHECK(upper.errors.empty());
  CHECK(upper.values.str("buffer.when_full") == "drop_newest");
}

TEST_CASE("a URL that does not parse is an error with parseUrl's reason", "[config]") {
  Parsed p = parse("url: https://token:secret@:0/\n");
  CHECK(p.errors.messages() == Messages{"test.yaml:1:6: url: URL has no host"});
}

TEST_CASE("a missing required key is reported at the section", "[config]") {
  ConfigErrors errors;
  YAML::Node node = YAML::Load("token: x\n");
  OptionValues v = parseOptions(node, Mark{"f.yaml", 7, 3}, {kTable}, errors);
  CHECK(errors.messages() == Messages{"f.yaml:7:3: missing required key 'url'"});
  CHECK(v.mark("url").line == 7);
}

TEST_CASE("environment variables are expanded in every kind of value", "[config]") {
  ScopedEnv url("SLUICE_OPT_TEST_HOST", "logs.example.com");
  ScopedEnv linger("SLUICE_OPT_TEST_LINGER", "2s");
  ScopedEnv empty("SLUICE_OPT_TEST_EMPTY", "");
  Parsed p = parse(
      "url: https://${SLUICE_OPT_TEST_HOST}/logs\n"
      "token: ${SLUICE_OPT_TEST_UNSET:-fallback}\n"
      "batch: { linger: \"${SLUICE_OPT_TEST_LINGER}\", max_bytes: \"${SLUICE_OPT_TEST_EMPTY:-2MiB}\" }\n"
      "command: [\"$$HOME\", \"a$b\", \"${SLUICE_OPT_TEST_UNSET-}x\"]\n"
      "env: { H: \"${SLUICE_OPT_TEST_HOST}\" }\n");
  CHECK(p.errors.empty());
  CHECK(p.values.str("url") == "https://logs.example.com/logs");
  CHECK(p.values.str("token") == "fallback");
  CHECK(p.values.duration("batch.linger") == 2s);
  CHECK(p.values.size("batch.max_bytes") == 2 << 20);
  CHECK(p.values.list("command") == std::vector<std::string>{"$HOME", "a$b", "x"});
  CHECK(p.values.map("env").at("H") == "logs.example.com");
}

TEST_CASE("a default may itself refer to a variable, and ${VAR-x} keeps an empty value", "[config]") {
  ScopedEnv host("SLUICE_OPT_TEST_HOST2", "inner");
  ScopedEnv empty("SLUICE_OPT_TEST_EMPTY2", "");
  Parsed p = parse("url: https://${SLUICE_OPT_TEST_UNSET:-${SLUICE_OPT_TEST_HOST2}}/\ntoken: \"${SLUICE_OPT_TEST_EMPTY2-x}\"\n");
  CHECK(p.errors.empty());
  CHECK(p.values.str("url") == "https://inner/");
  CHECK(p.values.str("token").empty());
}

TEST_CASE("an unset variable without a default is an error naming it, never the value", "[config]") {
  ::unsetenv("SLUICE_OPT_TEST_TOKEN");
  CHECK(errorsOf("token: abc${SLUICE_OPT_TEST_TOKEN}\n") ==
        Messages{"test.yaml:2:8: token: environment variable SLUICE_OPT_TEST_TOKEN is not set (write "
                 "${SLUICE_OPT_TEST_TOKEN:-default} for a default)"});
  CHECK(errorsOf("command: [ok, \"${SLUICE_OPT_TEST_TOKEN}\"]\n") ==
        Messages{"test.yaml:2:15: command: environment variable SLUICE_OPT_TEST_TOKEN is not set (write "
                 "${SLUICE_OPT_TEST_TOKEN:-default} for a default)"});
  CHECK(errorsOf("token: \"${1abc} ${unterminated\"\n") ==
        Messages{"test.yaml:2:8: token: invalid environment variable reference (expected ${NAME} or "
                 "${NAME:-default})"});
}

TEST_CASE("errors about a secret never echo its value", "[config]") {
  CHECK(errorsOf("token: [hunter2]\n") == Messages{"test.yaml:2:8: 'token' must be a string, not a list"});
  Parsed q = parse("url: https://h\ntoken: \"hunter2${oops\"\n");
  REQUIRE(q.errors.size() == 1);
  CHECK(q.errors.messages()[0].find("hunter2") == std::string::npos);
}

TEST_CASE("ignored keys are skipped and offered as valid keys", "[config]") {
  Parsed p = parse("url: https://h\ntype: x\n", {"type"});
  CHECK(p.errors.empty());
  Parsed q = parse("url: https://h\ntyp: x\n", {"type"});
  CHECK(q.errors.messages() == Messages{"test.yaml:2:1: unknown key 'typ' (did you mean 'type'?)"});
}

TEST_CASE("a section that is not a mapping is reported at its position", "[config]") {
  ConfigErrors errors;
  YAML::Node node = YAML::Load("[a, b]");
  OptionValues v = parseOptions(node, Mark{"f.yaml", 3, 1}, {kTable}, errors);
  CHECK(errors.messages() == Messages{"f.yaml:1:1: expected a mapping of keys and values, not a list",
                                      "f.yaml:3:1: missing required key 'url'"});
}

TEST_CASE("the fingerprint changes with any value and survives a copy", "[config]") {
  Parsed a = parse("url: https://h\ntoken: one\n");
  Parsed b = parse("url: https://h\ntoken: two\n");
  Parsed c = parse("token: one\nurl: https://h\n");
  CHECK(a.values.fingerprint() != b.values.fingerprint());
  CHECK(a.values.fingerprint() == c.values.fingerprint());
  OptionValues copy = a.values;
  CHECK(copy.fingerprint() == a.values.fingerprint());
  CHECK(copy.str("token") == "one");
  OptionValues moved = std::move(copy);
  CHECK(moved.str("token") == "one");
  Parsed list1 = parse("url: https://h\ncommand: [\"a,b\"]\n");
  Parsed list2 = parse("url: https://h\ncommand: [a, b]\n");
  CHECK(list1.values.fingerprint() != list2.values.fingerprint());
}

TEST_CASE("the options help shows types, defaults, required keys, choices and hides secrets", "[config]") {
  const OptionSpec table[] = {
      {"url", OptionType::Url, kRequired, "the drain"},
      {"token", OptionType::Secret, "abc", "the password"},
      {"mode", OptionType::Enum, "a", "how", "a|b"},
      {"name", OptionType::String, "", "a name"},
  };
  CHECK(describeOptions(table) ==
        "  NAME   TYPE    DEFAULT   HELP\n"
        "  url    url     required  the drain\n"
        "  token  secret  (secret)  the password\n"
        "  mode   enum    a         how\n"
        "                           one of: a, b\n"
        "  name   string  \"\"        a name\n");
}

TEST_CASE("the nearest name allows a swap or a few edits and nothing further", "[config]") {
  std::vector<std::string> names = {"linger", "max_bytes", "max_messages", "id"};
  CHECK(nearestName("lingr", names) == "linger");
  CHECK(nearestName("lnigre", names) == "linger");
  CHECK(nearestName("max_byte", names) == "max_bytes");
  CHECK(nearestName("MAX_BYTES", names) == "max_bytes");
  CHECK(nearestName("max_mess", names) == "max_messages");  // a unique completion
  CHECK(nearestName("max", names) == "");                   // two completions
  CHECK(nearestName("ab", names) == "");
  CHECK(nearestName("compression", names) == "");
  CHECK(nearestName("x", std::vector<std::string>{}) == "");
}

TEST_CASE("every option type has a name for the help", "[config]") {
  CHECK(optionTypeName(OptionType::String) == "string");
  CHECK(optionTypeName(OptionType::Secret) == "secret");
  CHECK(optionTypeName(OptionType::Duration) == "duration");
  CHECK(optionTypeName(OptionType::StringList) == "list");
  CHECK(optionTypeName(OptionType::StringMap) == "map");
}

TEST_CASE("every default in every option table parses", "[config]") {
  // Required keys are left out; everything else must come out of an empty section without an error.
  auto check = [](std::initializer_list<std::span<const OptionSpec>> tables) {
    ConfigErrors errors;
    OptionValues v = parseOptions(YAML::Node(), Mark{"defaults", 1, 1}, tables, errors);
    for (const std::string& m : errors.messages()) {
      CAPTURE(m);
      CHECK_THAT(m, Catch::Contains("missing required key"));
    }
  };
  check({coreSinkOptions()});
  check({commonSourceOptions()});
  check({agentOptions()});
  check({kTable});
  for (const PluginDescriptor* d : PluginRegistry::withBuiltins().all()) {
    CAPTURE(d->name);
    check({d->kind == PluginKind::Sink ? coreSinkOptions() : commonSourceOptions(), d->options});
  }
}
