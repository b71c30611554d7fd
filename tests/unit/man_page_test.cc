// The manual pages and the bash completion are written from the tables the agent uses: every declared key, of the
// agent and api sections and of every built-in plugin, is in sluice.yaml(5) and in the README; every flag and type
// is offered by the completion; the hidden flags that write them are parsed and stay hidden.
#include <catch2/catch.hpp>

#include <algorithm>
#include <sstream>

#include "agent/app/agent_config.h"
#include "agent/app/cli.h"
#include "agent/app/completion.h"
#include "agent/app/man_page.h"
#include "agent/sink/sink_options.h"
#include "agent/sources/source_options.h"
#include "tests/support/files.h"

using namespace sluice;

namespace {

// A key as the page sets it: its own .B line, hyphens escaped for roff.
std::string manEntry(std::string_view name) {
  std::string out = ".B ";
  for (char c : name) out += c == '-' ? std::string("\\-") : std::string(1, c);
  return "\n" + out + "\n";
}

void checkTable(const std::string& where, std::span<const OptionSpec> table, const std::string& page,
                const std::string& readme) {
  for (const OptionSpec& spec : table) {
    INFO(where << ": " << spec.name);
    CHECK(page.find(manEntry(spec.name)) != std::string::npos);
    CHECK(readme.find("`" + std::string(spec.name) + "`") != std::string::npos);
  }
}

}  // namespace

TEST_CASE("sluice.yaml(5) and the README hold every key of every option table", "[man]") {
  PluginRegistry registry = PluginRegistry::withBuiltins();
  const std::string page = manPage(5, registry);
  const std::string readme = readSource("README.md");
  REQUIRE(page.rfind(".TH SLUICE.YAML 5 \"\" \"sluice " SLUICE_VERSION "\"", 0) == 0);
  checkTable("agent", agentOptions(), page, readme);
  checkTable("api", apiOptions(), page, readme);
  checkTable("every source", commonSourceOptions(), page, readme);
  checkTable("every sink", coreSinkOptions(), page, readme);
  size_t plugins = 0;
  for (const PluginDescriptor* d : registry.all()) {
    const char* kind = d->kind == PluginKind::Sink ? "Sink" : "Source";
    INFO(kind << " " << d->name);
    CHECK(page.find(".SS " + std::string(kind) + " type " + std::string(d->name) + "\n") != std::string::npos);
    checkTable(std::string(d->name), d->options, page, readme);
    ++plugins;
  }
  CHECK(plugins >= 10);
}

TEST_CASE("sluice(1) has the usage text and every plugin type, and no other section is written", "[man]") {
  PluginRegistry registry = PluginRegistry::withBuiltins();
  const std::string page = manPage(1, registry);
  REQUIRE(page.rfind(".TH SLUICE 1 ", 0) == 0);
  CHECK(page.find("sluice \\-\\-help\\-plugin NAME") != std::string::npos);
  for (const PluginDescriptor* d : registry.all()) CHECK(page.find(manEntry(d->name)) != std::string::npos);
  // A line of text that starts with a dot or a quote would be taken for a request: only the generator's own are.
  for (const std::string& p : {page, manPage(5, registry)}) {
    std::istringstream lines(p);
    for (std::string line; std::getline(lines, line);) {
      if (line.empty() || (line[0] != '.' && line[0] != '\'')) continue;
      std::string request = line.substr(0, line.find(' '));
      INFO(line);
      CHECK((request == ".TH" || request == ".SH" || request == ".SS" || request == ".TP" || request == ".B" ||
             request == ".BR" || request == ".I" || request == ".PP" || request == ".nf" || request == ".fi" ||
             request == ".br"));
    }
  }
  CHECK(manPage(7, registry).empty());
}

TEST_CASE("the bash completion offers every flag, subcommand and plugin type, and hides --man and --completion",
          "[man]") {
  PluginRegistry registry = PluginRegistry::withBuiltins();
  const std::string script = completionScript("bash", registry);
  REQUIRE(script.find("complete -F _sluice sluice") != std::string::npos);
  for (const std::string& flag : cliFlags()) CHECK(script.find(" " + flag) != std::string::npos);
  for (const PluginDescriptor* d : registry.all()) CHECK(script.find(std::string(d->name)) != std::string::npos);
  for (const char* sub : {"check", "logs", "health", "convert"}) CHECK(script.find(sub) != std::string::npos);
  std::vector<std::string> flags = cliFlags();
  CHECK(std::find(flags.begin(), flags.end(), "--man") == flags.end());
  CHECK(std::find(flags.begin(), flags.end(), "--completion") == flags.end());
  CHECK(std::find(flags.begin(), flags.end(), "--config") != flags.end());
  CHECK(std::find(flags.begin(), flags.end(), "--tee") != flags.end());
  CHECK(completionScript("zsh", registry).empty());
}

TEST_CASE("the --man and --completion flags are parsed as commands of their own", "[man]") {
  Result<CliOptions> man = parseCli({"--man", "5"});
  REQUIRE(man.ok());
  CHECK(man->command == CliOptions::Command::Man);
  CHECK(man->generate == "5");
  Result<CliOptions> completion = parseCli({"--completion=bash"});
  REQUIRE(completion.ok());
  CHECK(completion->command == CliOptions::Command::Completion);
  CHECK(completion->generate == "bash");
  CHECK(usageText().find("--man") == std::string::npos);
}
