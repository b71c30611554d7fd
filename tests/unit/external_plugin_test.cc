#include <catch2/catch.hpp>

#include <filesystem>

#include "agent/app/agent_config.h"
#include "agent/loop/loop.h"
#include "agent/formats/frame.h"
#include "agent/plugin/external_plugin.h"
#include "agent/sink/transport.h"
#include "tests/support/files.h"
#include "tests/support/registries.h"
#include "tests/support/temp_dir.h"
#include "tests/support/wait.h"

using namespace sluice;
using namespace std::chrono_literals;

namespace {

std::string testPlugin(const std::string& variant) { return std::string(SLUICE_BUILD_DIR) + "/test_plugins/" + variant + ".so"; }

std::string loadError(const std::string& variant) {
  auto r = loadExternalPlugin(testPlugin(variant));
  REQUIRE_FALSE(r.ok());
  return r.error().message;
}


// A directory holding copies of the named test plugins.
std::string pluginDir(const TempDir& dir, std::initializer_list<std::string> variants) {
  std::string d = dir.file("plugins");
  std::filesystem::create_directories(d);
  for (const auto& v : variants) std::filesystem::copy_file(testPlugin(v), d + "/" + v + ".so");
  return d;
}

// The sink of `plugin` (the threaded test plugin) writing to `path`, made on `loop` from a config that names it, as
// the agent makes it.
Result<std::unique_ptr<SinkTransport>> threadedSink(const PluginDescriptor* plugin, Loop& loop,
                                                    const std::string& path) {
  PluginRegistry registry = builtinSources();
  REQUIRE(registry.add(plugin, "test").ok());
  ConfigErrors errors;
  const std::string yaml =
      "sources:\n  - name: app\n    type: stdin\nsinks:\n  - name: t\n    type: threaded_sink\n    path: " + path + "\n";
  auto c = loadConfigText(yaml, "t.yaml", registry, errors);
  REQUIRE(c.has_value());
  SinkContext ctx{loop, "t", 4};
  return plugin->createSink(*c->sinks[0].plugin_config, ctx);
}

void appendFrame(ByteBuffer& out, std::string_view msg) {
  std::string len = std::to_string(msg.size()) + " ";
  out.append(len);
  out.append(msg);
}

}  // namespace

TEST_CASE("an external plugin's descriptor and option table are those of the library", "[plugin]") {
  auto d = loadExternalPlugin(testPlugin("threaded"));
  REQUIRE(d.ok());
  CHECK((*d)->name == "threaded_sink");
  CHECK((*d)->kind == PluginKind::Sink);
  REQUIRE((*d)->options.size() == 3);
  CHECK((*d)->options[0].name == "path");
  CHECK_FALSE((*d)->options[0].fallback.has_value());
  CHECK((*d)->options[1].type == OptionType::Enum);
  CHECK((*d)->options[1].choices == "plain|upper");
  CHECK((*d)->options[2].type == OptionType::Size);
  CHECK(describeOptions((*d)->options).find("plain or upper") != std::string::npos);
  // The same file again is the same plugin, not a second copy.
  auto again = loadExternalPlugin(testPlugin("threaded"));
  REQUIRE(again.ok());
  CHECK(*again == *d);
}

TEST_CASE("a library without the ABI symbol is refused, naming the file", "[plugin]") {
  std::string e = loadError("no_abi");
  CHECK(e.find(testPlugin("no_abi")) != std::string::npos);
  CHECK(e.find("sluice_plugin_abi_version") != std::string::npos);
}

TEST_CASE("a plugin built for another ABI version is refused before anything in it is called", "[plugin]") {
  std::string e = loadError("abi_mismatch");  // its entry point aborts if called
  CHECK(e.find(testPlugin("abi_mismatch")) != std::string::npos);
  CHECK(e.find("ABI version 999") != std::string::npos);
}

TEST_CASE("a plugin without its entry point is refused, naming the symbol", "[plugin]") {
  std::string e = loadError("no_entry");
  CHECK(e.find(testPlugin("no_entry")) != std::string::npos);
  CHECK(e.find("sluice_plugin_entry") != std::string::npos);
}

TEST_CASE("a plugin option that collides with a core sink key is refused", "[plugin]") {
  std::string e = loadError("bad_option");
  CHECK(e.find("batch.linger") != std::string::npos);
  CHECK(e.find("collides") != std::string::npos);
}

TEST_CASE("a plugin option whose default does not parse is refused", "[plugin]") {
  std::string e = loadError("bad_default");
  CHECK(e.find("default of 'every'") != std::string::npos);
}

TEST_CASE("a file that is not a shared object is refused, naming it", "[plugin]") {
  TempDir dir;
  std::string path = dir.file("junk.so");
  writeFile(path, "not an ELF file");
  auto r = loadExternalPlugin(path);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message.find(path) != std::string::npos);
  CHECK(r.error().message.find("cannot load") != std::string::npos);
}

TEST_CASE("plugin_dirs: a type name already taken is an error naming the file", "[plugin]") {
  TempDir dir;
  std::string d = pluginDir(dir, {"duplicate", "threaded"});
  PluginRegistry registry = PluginRegistry::withBuiltins();
  ConfigErrors errors;
  std::vector<std::string> dirs{d};
  loadPluginDirs(dirs, registry, Mark{"x.yaml", 3, 16}, errors);
  REQUIRE(errors.size() == 1);
  CHECK(errors.messages()[0].find("x.yaml:3:16: ") == 0);
  CHECK(errors.messages()[0].find(d + "/duplicate.so") != std::string::npos);
  CHECK(errors.messages()[0].find("already provided by built-in") != std::string::npos);
  // The good one next to it still loads.
  CHECK(registry.find(PluginKind::Sink, "threaded_sink") != nullptr);
}

TEST_CASE("plugin_dirs: a directory that does not exist is an error", "[plugin]") {
  PluginRegistry registry;
  ConfigErrors errors;
  std::vector<std::string> dirs{"/nonexistent/sluice-plugins"};
  loadPluginDirs(dirs, registry, Mark{"x.yaml", 2, 3}, errors);
  REQUIRE(errors.size() == 1);
  CHECK(errors.messages()[0].find("/nonexistent/sluice-plugins") != std::string::npos);
}

TEST_CASE("plugin_dirs is read ahead from the config file", "[plugin]") {
  TempDir dir;
  std::string path = dir.file("sluice.yaml");
  writeFile(path, "agent:\n  hostname: h\n  plugin_dirs: [/a, \"${NO_SUCH_VAR_X:-/b}\"]\nsources: []\n");
  Mark where;
  auto dirs = pluginDirsOfConfigFile(path, &where);
  CHECK(dirs == std::vector<std::string>{"/a", "/b"});
  CHECK(where.line == 3);
}

TEST_CASE("an external plugin's options are validated by the core's table and by its own validate", "[plugin]") {
  TempDir dir;
  std::string d = pluginDir(dir, {"threaded"});
  PluginRegistry registry = PluginRegistry::withBuiltins();
  ConfigErrors load_errors;
  std::vector<std::string> dirs{d};
  loadPluginDirs(dirs, registry, Mark{}, load_errors);
  REQUIRE(load_errors.empty());
  auto load = [&](const std::string& sink) {
    ConfigErrors errors;
    auto c = loadConfigText("sources:\n  - name: app\n    type: stdin\nsinks:\n  - name: t\n    type: threaded_sink\n" + sink,
                            "t.yaml", registry, errors);
    return std::make_pair(c.has_value(), errors.joined());
  };
  auto [ok, errors] = load("    path: /tmp/x\n    limit: 2KiB\n    batch: {linger: 5ms}\n");
  CHECK(ok);
  CHECK(errors.empty());
  std::tie(ok, errors) = load("    path: /tmp/x\n    limt: 2KiB\n");
  CHECK_FALSE(ok);
  CHECK(errors.find("t.yaml:8:5: unknown key 'limt' (did you mean 'limit'?)") != std::string::npos);
  std::tie(ok, errors) = load("    path: /tmp/x\n    mode: loud\n");
  CHECK(errors.find("t.yaml:8:11: mode: value 'loud' is not one of: plain, upper") != std::string::npos);
  std::tie(ok, errors) = load("    limit: 2KiB\n");
  CHECK(errors.find("missing required key 'path'") != std::string::npos);
  std::tie(ok, errors) = load("    path: /tmp/invalid\n");
  CHECK_FALSE(ok);
  CHECK(errors.find("t.yaml:7:11: path: must not contain 'invalid'") != std::string::npos);
}

TEST_CASE("an external sink completes deliveries from its own thread on the loop thread", "[plugin]") {
  TempDir dir;
  auto d = loadExternalPlugin(testPlugin("threaded"));
  REQUIRE(d.ok());
  std::string out = dir.file("out.txt");
  {
    Loop loop;
    auto transport = threadedSink(*d, loop, out);
    REQUIRE(transport.ok());
    ComponentCounters counters;
    (*transport)->attachCounters(&counters);
    Batch a, b;
    appendFrame(a.bytes, "<190>1 - h a p - - first");
    a.count = 1;
    a.frame_id = "f-1";
    appendFrame(b.bytes, "<190>1 - h a p - - second");
    appendFrame(b.bytes, "<190>1 - h a p - - third");
    b.count = 2;
    b.frame_id = "f-2";
    std::vector<Verdict> verdicts;
    uv_thread_t loop_thread = uv_thread_self();
    bool on_loop = true;
    auto cb = [&](Outcome o) {
      uv_thread_t self = uv_thread_self();
      on_loop = on_loop && uv_thread_equal(&self, &loop_thread);
      verdicts.push_back(o.verdict);
    };
    (*transport)->deliver(a, cb);
    (*transport)->deliver(b, cb);
    REQUIRE(runLoopUntil(loop, [&] { return verdicts.size() == 2; }, 10s));
    CHECK(on_loop);
    CHECK(verdicts == std::vector<Verdict>{Verdict::Delivered, Verdict::Delivered});
    CHECK(counters.plugin_events["batches_written_by_thread"] == 2);
    bool stopped = false;
    (*transport)->stop([&] { stopped = true; });
    REQUIRE(runLoopUntil(loop, [&] { return stopped; }, 10s));
    transport->reset();
    CHECK(loop.close() == 0);
  }
  CHECK(readFile(out) == "<190>1 - h a p - - first\n<190>1 - h a p - - second\n<190>1 - h a p - - third\n");
}

TEST_CASE("an external sink that cannot start says why, naming the plugin", "[plugin]") {
  auto d = loadExternalPlugin(testPlugin("threaded"));
  REQUIRE(d.ok());
  Loop loop;
  auto transport = threadedSink(*d, loop, "/tmp/refuse");
  REQUIRE_FALSE(transport.ok());
  CHECK(transport.error().message.find("refusing to start on /tmp/refuse") != std::string::npos);
  CHECK(transport.error().message.find("threaded.so") != std::string::npos);
  CHECK(loop.close() == 0);
}
