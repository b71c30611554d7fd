#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>

#include "agent/app/agent_config.h"
#include "tests/support/error_cases.h"
#include "tests/support/files.h"
#include "tests/support/registries.h"
#include "tests/support/temp_dir.h"

using namespace sluice;
using namespace std::chrono_literals;
using Messages = std::vector<std::string>;

namespace {

// A sink plugin of the test's own, so that these tests do not depend on the real plugins.
const OptionSpec kTestSinkOptions[] = {
    {"url", OptionType::Url, kRequired, "where the frames go"},
    {"token", OptionType::Secret, "", "a password"},
    {"mode", OptionType::Enum, "fast", "how", "fast|slow"},
};

class TestSinkConfig : public PluginConfig {
 public:
  std::string url;
  std::string secret;
  std::string token() const override { return secret; }
};

std::atomic<int> validate_calls{0};

std::unique_ptr<PluginConfig> validateTestSink(const OptionValues& values, ConfigErrors& errors) {
  ++validate_calls;
  if (values.str("url").starts_with("http://")) {
    errors.add(values.mark("url"), "url: testsink needs https");
    return nullptr;
  }
  auto config = std::make_unique<TestSinkConfig>();
  config->url = values.str("url");
  config->secret = values.str("token");
  return config;
}

const std::string_view kTestSinkAliases[] = {"tsink"};

const PluginDescriptor kTestSink = {
    .kind = PluginKind::Sink,
    .name = "testsink",
    .aliases = kTestSinkAliases,
    .help = "a sink for tests",
    .options = kTestSinkOptions,
    .validate = &validateTestSink,
};

PluginRegistry testRegistry() {
  PluginRegistry registry = builtinSources();
  Status st = registry.add(&kTestSink, "test");
  REQUIRE(st.ok());
  return registry;
}

struct Loaded {
  std::optional<AgentConfig> config;
  ConfigErrors errors;
};

Loaded load(const std::string& yaml) {
  Loaded l;
  l.config = loadConfigText(yaml, "test.yaml", testRegistry(), l.errors);
  return l;
}

// The smallest valid configuration, to which a test adds what it is about.
const std::string kSources = "sources:\n  - name: app\n    type: stdin\n";
const std::string kSinks = "sinks:\n  - name: drain\n    type: testsink\n    url: https://h/logs\n";

}  // namespace

TEST_CASE("a complete configuration loads with its agent settings, sources and sinks", "[config]") {
  Loaded l = load(
      "agent:\n"
      "  hostname: web-01\n"
      "  state_dir: /tmp/sluice-state\n"
      "  shutdown_timeout: 3s\n"
      "  log_level: debug\n"
      "  plugin_dirs: [/opt/sluice/plugins]\n"
      "  max_line_bytes: 1MiB\n"
      "sources:\n"
      "  - name: app\n"
      "    type: stdin\n"
      "  - name: web\n"
      "    type: exec\n"
      "    command: [\"/app/server\", \"--port\", \"8080\"]\n"
      "sinks:\n"
      "  - name: drain\n"
      "    type: tsink\n"
      "    url: https://logs.example.com/logs\n"
      "    token: s3cret\n"
      "    batch: { max_messages: 10, linger: 1s }\n"
      "    message:\n"
      "      app_name: \"{token}\"\n");
  INFO(l.errors.joined());
  REQUIRE(l.config);
  const AgentConfig& c = *l.config;
  CHECK(c.file == "test.yaml");
  CHECK(c.agent.hostname == "web-01");
  CHECK(c.agent.state_dir == "/tmp/sluice-state");
  CHECK(c.agent.shutdown_timeout == 3s);
  CHECK(c.agent.log_level == "debug");
  CHECK(c.agent.plugin_dirs == std::vector<std::string>{"/opt/sluice/plugins"});
  CHECK(c.agent.max_line_bytes == 1 << 20);
  REQUIRE(c.sources.size() == 2);
  CHECK(c.sources[0].name == "app");
  CHECK(c.sources[0].type == "stdin");
  CHECK(c.sources[0].mark.line == 9);
  CHECK(c.sources[1].values.list("command").size() == 3);
  REQUIRE(c.sinks.size() == 1);
  const SinkConfig& s = c.sinks[0];
  CHECK(s.plugin == &kTestSink);
  CHECK(s.settings.name == "drain");
  CHECK(s.settings.type == "testsink");  // the canonical name, not the alias
  CHECK(s.settings.batch.max_messages == 10);
  CHECK(s.settings.batch.linger == 1s);
  CHECK(s.settings.message.app_name == "{token}");
  REQUIRE(s.plugin_config);
  CHECK(s.plugin_config->token() == "s3cret");
  CHECK(s.values.str("mode") == "fast");
}

TEST_CASE("the agent section defaults to the machine's hostname and the documented values", "[config]") {
  Loaded l = load(kSources + kSinks);
  INFO(l.errors.joined());
  REQUIRE(l.config);
  char host[256] = {};
  REQUIRE(::gethostname(host, sizeof(host) - 1) == 0);
  CHECK(l.config->agent.hostname == host);
  CHECK(l.config->agent.state_dir == "/var/lib/sluice");
  CHECK(l.config->agent.shutdown_timeout == 10s);
  CHECK(l.config->agent.log_level == "info");
  CHECK(l.config->agent.plugin_dirs.empty());
  CHECK(l.config->agent.max_line_bytes == 64 * 1024);
}

TEST_CASE("a misspelled top-level key suggests the right one", "[config]") {
  Loaded l = load(kSources + "sink:\n  - name: drain\n");
  CHECK_FALSE(l.config);
  CHECK(l.errors.messages() == Messages{"test.yaml:4:1: unknown key 'sink' (did you mean 'sinks'?)",
                                        "test.yaml:1:1: no sinks configured"});
}

TEST_CASE("an unknown top-level key without a near match lists the valid ones", "[config]") {
  Loaded l = load(kSources + kSinks + "tracing:\n  listen: 127.0.0.1:8089\n");
  CHECK(l.errors.messages() ==
        Messages{"test.yaml:8:1: unknown key 'tracing' (valid keys: agent, api, metrics, sinks, sources)"});
}

TEST_CASE("an empty file has neither sources nor sinks", "[config]") {
  Loaded l = load("");
  CHECK_FALSE(l.config);
  CHECK(l.errors.messages() == Messages{"test.yaml:1:1: no sources configured", "test.yaml:1:1: no sinks configured"});
}

TEST_CASE("disabled sources and sinks do not count as configured", "[config]") {
  Loaded l = load(
      "sources:\n  - name: app\n    type: stdin\n    enabled: false\n"
      "sinks:\n  - name: drain\n    type: testsink\n    url: https://h/\n    enabled: no\n");
  CHECK(l.errors.messages() == Messages{"test.yaml:1:1: no sources configured", "test.yaml:5:1: no sinks configured"});
}

TEST_CASE("an unknown source type suggests the nearest and lists the valid types", "[config]") {
  Loaded near = load("sources:\n  - name: app\n    type: stdn\n" + kSinks);
  CHECK(near.errors.messages() ==
        Messages{"test.yaml:3:11: unknown source type 'stdn' (did you mean 'stdin'?); valid types: exec, journald, kafka, logplex, stdin, tail",
                 "test.yaml:1:1: no sources configured"});
  Loaded far = load("sources:\n  - name: app\n    type: fluentd\n" + kSinks);
  CHECK(far.errors.messages()[0] == "test.yaml:3:11: unknown source type 'fluentd'; valid types: exec, journald, kafka, logplex, stdin, tail");
}

TEST_CASE("an unknown sink type suggests the nearest registered plugin", "[config]") {
  Loaded l = load(kSources + "sinks:\n  - name: drain\n    type: testsnk\n");
  CHECK(l.errors.messages() ==
        Messages{"test.yaml:6:11: unknown sink type 'testsnk' (did you mean 'testsink'?); valid types: testsink",
                 "test.yaml:4:1: no sinks configured"});
}

TEST_CASE("a source or sink without a type is reported at its entry", "[config]") {
  Loaded l = load(kSources + kSinks + "  - name: other\n");
  CHECK(l.errors.messages() == Messages{"test.yaml:8:5: missing required key 'type'"});
}

TEST_CASE("source names and sink names must be unique", "[config]") {
  Loaded l = load(
      "sources:\n  - name: app\n    type: stdin\n  - name: app\n    type: exec\n    command: x\n"
      "sinks:\n  - name: d\n    type: testsink\n    url: https://h/\n"
      "  - name: d\n    type: testsink\n    url: https://h/\n");
  CHECK(l.errors.messages() == Messages{"test.yaml:4:11: duplicate source name 'app' (first at test.yaml:2:11)",
                                        "test.yaml:11:11: duplicate sink name 'd' (first at test.yaml:8:11)"});
}

TEST_CASE("a source and a sink may share a name", "[config]") {
  Loaded l = load("sources:\n  - name: app\n    type: stdin\nsinks:\n  - name: app\n    type: testsink\n    url: https://h/\n");
  CHECK(l.errors.empty());
}

TEST_CASE("a YAML syntax error is reported with its position", "[config]") {
  Loaded l = load("sources:\n  - name: app\n    type: [stdin\n");
  CHECK_FALSE(l.config);
  CHECK(l.errors.messages() == Messages{"test.yaml:4:1: end of sequence flow not found"});
  Loaded tab = load("agent:\n\thostname: x\n");
  REQUIRE(tab.errors.size() == 1);
  CHECK_THAT(tab.errors.messages()[0], Catch::StartsWith("test.yaml:2:"));
}

TEST_CASE("an unset environment variable in a sink is an error naming it", "[config]") {
  ::unsetenv("SLUICE_CONFIG_TEST_TOKEN");
  Loaded l = load(kSources + kSinks + "    token: ${SLUICE_CONFIG_TEST_TOKEN}\n");
  CHECK(l.errors.messages() ==
        Messages{"test.yaml:8:12: token: environment variable SLUICE_CONFIG_TEST_TOKEN is not set (write "
                 "${SLUICE_CONFIG_TEST_TOKEN:-default} for a default)"});
}

TEST_CASE("the plugin's validate adds its own errors", "[config]") {
  Loaded l = load(kSources + "sinks:\n  - name: drain\n    type: testsink\n    url: http://h/logs\n");
  CHECK_FALSE(l.config);
  CHECK(l.errors.messages() == Messages{"test.yaml:7:10: url: testsink needs https"});
}

TEST_CASE("the plugin's validate is not asked about options that already failed", "[config]") {
  int before = validate_calls;
  Loaded l = load(kSources + "sinks:\n  - name: drain\n    type: testsink\n    mode: medium\n");
  CHECK(l.errors.messages() ==
        Messages{"test.yaml:7:11: mode: value 'medium' is not one of: fast, slow", "test.yaml:5:5: missing required key 'url'"});
  CHECK(validate_calls == before);
}

TEST_CASE("core sink keys are checked by the core for every plugin", "[config]") {
  Loaded l = load(kSources + kSinks + "    max_in_flight: 0\n    retry: { initial: 1s, max: 10ms }\n    linger: 1s\n");
  CHECK(l.errors.messages() ==
        Messages{"test.yaml:10:5: unknown key 'linger' (did you mean 'batch.linger'?)",
                 "test.yaml:9:32: retry.max must be at least retry.initial",
                 "test.yaml:8:20: max_in_flight must be between 1 and 64"});
}

TEST_CASE("errors from every section are collected in one pass", "[config]") {
  Loaded l = load(
      "agent:\n  log_level: loud\n  max_line_bytes: 100\n"
      "sources:\n  - name: app\n    type: stdin\n    severty: info\n"
      "sinks:\n  - name: a/b\n    type: testsink\n    url: https://h/\n  - name: c\n    type: testsink\n    url: tcp://\n");
  CHECK(l.errors.messages() ==
        Messages{
            "test.yaml:2:14: log_level: value 'loud' is not one of: trace, debug, info, warn, error, critical, off",
            "test.yaml:3:19: max_line_bytes must be between 1KiB and 16MiB",
            "test.yaml:7:5: unknown key 'severty' (did you mean 'severity'?)",
            "test.yaml:9:11: sink name 'a/b' may only hold letters, digits, '-', '_' and '.' and must not start "
            "with '.' (it names the sink's spool directory)",
            "test.yaml:14:10: url: URL has no host",
        });
}

TEST_CASE("sections of the wrong YAML kind are reported, not thrown", "[config]") {
  Loaded l = load("agent: [x]\nsources: {name: app}\nsinks:\n  - just-a-name\n");
  CHECK(l.errors.messages() == Messages{"test.yaml:1:8: key 'agent' must be a mapping",
                                        "test.yaml:2:10: key 'sources' must be a list, not a mapping",
                                        "test.yaml:4:5: each sink must be a mapping with 'name' and 'type', not a value",
                                        "test.yaml:2:1: no sources configured", "test.yaml:3:1: no sinks configured"});
  Loaded scalar = load("just text\n");
  CHECK(scalar.errors.messages() ==
        Messages{"test.yaml:1:1: the configuration must be a mapping with the keys agent, sources and sinks, not a value"});
}

TEST_CASE("a top-level key given twice is an error", "[config]") {
  Loaded l = load(kSources + kSinks + kSources);
  CHECK(l.errors.messages() == Messages{"test.yaml:8:1: duplicate key 'sources' (first at test.yaml:1:1)"});
}

TEST_CASE("a configuration file is read from disk", "[config]") {
  TempDir dir("sluice-config-test");
  std::string file = dir.file("sluice.yaml");
  writeFile(file, std::string(kSources) + kSinks);
  ConfigErrors errors;
  std::optional<AgentConfig> c = loadConfigFile(file, testRegistry(), errors);
  INFO(errors.joined());
  REQUIRE(c);
  CHECK(c->file == file);
  CHECK(c->sinks.size() == 1);
}

TEST_CASE("errors from a file carry the file's path", "[config]") {
  TempDir dir("sluice-config-test");
  std::string file = dir.file("bad.yaml");
  writeFile(file, std::string(kSources) + "sinks: []\n");
  ConfigErrors errors;
  CHECK_FALSE(loadConfigFile(file, testRegistry(), errors));
  CHECK(errors.messages() == Messages{file + ":4:1: no sinks configured"});
}

TEST_CASE("a file that cannot be read is reported with the system's reason", "[config]") {
  TempDir dir("sluice-config-test");
  ConfigErrors errors;
  std::string missing = dir.file("missing.yaml");
  CHECK_FALSE(loadConfigFile(missing, testRegistry(), errors));
  CHECK_FALSE(loadConfigFile(dir.path(), testRegistry(), errors));
  CHECK(errors.messages() == Messages{missing + ": cannot read: No such file or directory",
                                      dir.path() + ": cannot read: Is a directory"});
  CHECK(errors.joined() == errors.messages()[0] + "\n" + errors.messages()[1] + "\n");
}

TEST_CASE("api.listen must be HOST:PORT with a host and a port of digits from 0 to 65535", "[config]") {
  auto errorFor = [](const std::string& listen) {
    Loaded l = load("api:\n  listen: \"" + listen + "\"\n" + kSources + kSinks);
    return l.errors.joined();
  };
  checkErrorCases(errorFor, {
      {"127.0.0.1:8089", ""},
      {"[::1]:8089", ""},
      {"localhost:0", ""},
      {"127.0.0.1:99999", "the port must be a number from 0 to 65535"},
      {"127.0.0.1:8x89", "the port must be a number from 0 to 65535"},
      {"127.0.0.1:+80", "the port must be a number"},
      {":8089", "no host; write 0.0.0.0:8089 to listen on every interface"},
      {"127.0.0.1", "no port"},
      {"example.com:8089", "the host must be an IP address or localhost"},
  });
}

TEST_CASE("a non-loopback api.listen needs api.token or api.allow_remote", "[config]") {
  Loaded open = load("api:\n  listen: 0.0.0.0:8089\n" + kSources + kSinks);
  CHECK_FALSE(open.config);
  REQUIRE(open.errors.messages().size() == 1);
  CHECK(open.errors.messages()[0].find("test.yaml:2:11: listen: 0.0.0.0:8089 is reachable from other machines and "
                                       "api.token is not set") == 0);
  CHECK(load("api:\n  listen: 0.0.0.0:8089\n  token: s3cret\n" + kSources + kSinks).config);
  CHECK(load("api:\n  listen: \"[::]:8089\"\n  allow_remote: true\n" + kSources + kSinks).config);
  CHECK(load("api:\n  listen: 127.0.0.2:8089\n" + kSources + kSinks).config);
}

TEST_CASE("a key written one level too high is suggested with its path, typo included", "[config]") {
  Loaded l = load(kSources + "sinks:\n  - name: drain\n    type: testsink\n    url: https://h/logs\n    lingr: 1s\n");
  CHECK(l.errors.messages() == Messages{"test.yaml:8:5: unknown key 'lingr' (did you mean 'batch.linger'?)"});
}

TEST_CASE("a sink's inputs take the sources they name, and a name that matches no source suggests the nearest",
          "[config]") {
  const std::string two_sources = "sources:\n  - name: nginx\n    type: stdin\n  - name: web-1\n    type: exec\n"
                                  "    command: x\n";
  Loaded ok = load(two_sources +
                   "sinks:\n  - name: d\n    type: testsink\n    url: https://h/\n    inputs: [nginx, \"web-*\"]\n");
  REQUIRE(ok.errors.empty());
  CHECK(ok.config->sinks[0].settings.inputs == std::vector<std::string>{"nginx", "web-*"});

  Loaded typo = load(two_sources + "sinks:\n  - name: d\n    type: testsink\n    url: https://h/\n"
                                   "    inputs: [ngnix, \"web-*\"]\n");
  CHECK(typo.errors.messages() == Messages{"test.yaml:11:13: inputs: 'ngnix' names no source (did you mean 'nginx'?)"});

  Loaded glob = load(two_sources + "sinks:\n  - name: d\n    type: testsink\n    url: https://h/\n"
                                   "    inputs: [\"api-*\"]\n");
  CHECK(glob.errors.messages() ==
        Messages{"test.yaml:11:13: inputs: 'api-*' names no source (sources: nginx, web-1)"});
}

TEST_CASE("a source that no enabled sink takes is an error, and a sink without inputs takes every source", "[config]") {
  const std::string sources = "sources:\n  - name: app\n    type: stdin\n  - name: web\n    type: exec\n"
                              "    command: x\n";
  Loaded only_app = load(sources + "sinks:\n  - name: d\n    type: testsink\n    url: https://h/\n"
                                   "    inputs: [app]\n  - name: off\n    type: testsink\n    url: https://h/\n"
                                   "    enabled: false\n");
  CHECK(only_app.errors.messages() ==
        Messages{"test.yaml:4:11: source 'web' is in no enabled sink's inputs: its lines would go nowhere"});
  Loaded every = load(sources + "sinks:\n  - name: d\n    type: testsink\n    url: https://h/\n    inputs: [app]\n"
                                "  - name: all\n    type: testsink\n    url: https://h/\n");
  CHECK(every.errors.empty());
}

TEST_CASE("a YAML indentation error says what is wrong with the indentation, at the line", "[config]") {
  Loaded item = load("sources:\n  - name: app\n      type: stdin\n" + kSinks);
  CHECK(item.errors.messages() ==
        Messages{"test.yaml:3:11: this line is indented more than the keys of the list item above it: they must line "
                 "up with the key after its '- ' (illegal map value)"});
  Loaded key = load("agent:\n  hostname: x\n    state_dir: /tmp\n" + kSources + kSinks);
  CHECK(key.errors.messages() ==
        Messages{"test.yaml:3:14: this line is indented more than the line above it: keys of one mapping must line "
                 "up (or, if the line above is a value holding ': ', quote it) (illegal map value)"});
  Loaded less = load("sources:\n  - name: app\n    type: stdin\nsinks:\n    - name: d\n  type: stdout\n");
  REQUIRE(less.errors.messages().size() == 1);
  CHECK(less.errors.messages()[0].find("test.yaml:6:3: this line is indented less than the line above it") == 0);
}
