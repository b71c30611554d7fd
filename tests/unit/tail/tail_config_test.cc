#include <catch2/catch.hpp>

#include "agent/app/agent_config.h"
#include "agent/plugin/registry.h"

using namespace sluice;

namespace {

std::vector<std::string> errorsOf(const std::string& source) {
  std::string yaml = "sources:\n  - name: files\n    type: tail\n" + source +
                     "sinks:\n  - name: out\n    type: stdout\n";
  ConfigErrors errors;
  PluginRegistry registry = PluginRegistry::withBuiltins();
  auto config = loadConfigText(yaml, "t.yaml", registry, errors);
  return errors.messages();
}

}  // namespace

TEST_CASE("a tail source's config is checked before anything starts", "[config]") {
  CHECK(errorsOf("    paths: [\"/var/log/*.log\"]\n").empty());
  CHECK(errorsOf("    paths: []\n") == std::vector<std::string>{"t.yaml:4:12: paths: give at least one glob"});
  CHECK(errorsOf("    paths: [\"/x\"]\n    source_name: \"{pod}/{bogus}\"\n") ==
        std::vector<std::string>{"t.yaml:5:18: unknown placeholder {bogus} in source_name (known: {name} {file} "
                                 "{path} {pod} {namespace} {container})"});
  CHECK(errorsOf("    paths: [\"/x\"]\n    poll_interval: 0\n") ==
        std::vector<std::string>{"t.yaml:5:20: poll_interval must be longer than 0"});
  CHECK(errorsOf("    paths: [\"/x\"]\n    format: json\n").size() == 1);
  // A missing paths is reported once, by the table.
  CHECK(errorsOf("    start_at: end\n").size() == 1);
}
