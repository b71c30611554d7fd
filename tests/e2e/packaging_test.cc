// Issue 4: the systemd unit, checked with systemd-analyze, and the Dockerfile, read as text against the binary.
#include <cstdio>
#include <optional>
#include <regex>
#include <set>

#include "tests/e2e/e2e.h"

using namespace sluice;
using namespace sluice::e2e;

namespace {

// Runs a shell command; its stdout and stderr together, and its exit status.
std::pair<std::string, int> run(const std::string& command) {
  std::string out;
  FILE* p = popen((command + " 2>&1").c_str(), "r");
  REQUIRE(p != nullptr);
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  int status = pclose(p);
  return {out, WIFEXITED(status) ? WEXITSTATUS(status) : -1};
}

// The unit with ExecStart pointing at the binary under test (verify checks that it exists).
std::string unitForTest(const Env& env) {
  std::string unit = readSource("systemd/sluice.service");
  unit = std::regex_replace(unit, std::regex("/usr/local/bin/sluice"), SLUICE_BINARY);
  return env.writeFile("sluice.service", unit);
}

// `systemd-analyze ARGS UNIT` on the unit under test: its output and exit status. None, with a warning (the test is
// skipped), where systemd-analyze is not installed.
std::optional<std::pair<std::string, int>> analyzeUnit(const std::string& args) {
  if (run("command -v systemd-analyze").second != 0) {
    WARN("systemd-analyze is not installed (make deps installs the systemd package): skipped");
    return std::nullopt;
  }
  Env env;
  return run("systemd-analyze " + args + " " + unitForTest(env));
}

}  // namespace

TEST_CASE("the systemd unit passes systemd-analyze verify without a warning", "[e2e][packaging]") {
  auto analyzed = analyzeUnit("verify");
  if (!analyzed) return;
  auto [out, status] = *analyzed;
  INFO(out);
  CHECK(status == 0);
  CHECK(out.empty());
}

TEST_CASE("the systemd unit's exposure under systemd-analyze security is at most 2.0", "[e2e][packaging]") {
  auto analyzed = analyzeUnit("security --offline=yes");
  if (!analyzed) return;
  const std::string& out = analyzed->first;
  std::smatch m;
  REQUIRE(std::regex_search(out, m, std::regex("Overall exposure level for [^:]+: ([0-9.]+)")));
  double exposure = std::stod(m[1].str());
  INFO("exposure " << exposure);
  CHECK(exposure <= 2.0);
  std::string unit = readSource("systemd/sluice.service");
  for (const char* key : {"Type=notify", "WatchdogSec=", "Restart=on-failure", "DynamicUser=yes", "StateDirectory=sluice",
                          "ConfigurationDirectory=sluice", "NoNewPrivileges=yes", "ProtectSystem=strict",
                          "CapabilityBoundingSet=\n", "SystemCallFilter=@system-service"}) {
    CHECK(unit.find(key) != std::string::npos);
  }
}

// The Dockerfile's text only: no image is built here.
TEST_CASE("the Dockerfile names CI's make targets and a package for every library the binary links",
          "[e2e][packaging]") {
  std::string dockerfile = readSource("Dockerfile");
  size_t runtime_stage = dockerfile.find("\nFROM ", dockerfile.find("FROM ") + 1);
  REQUIRE(runtime_stage != std::string::npos);
  std::string build = dockerfile.substr(0, runtime_stage);
  std::string runtime = dockerfile.substr(runtime_stage);
  CHECK(build.find("RUN make deps && make build") != std::string::npos);
  CHECK(readSource(".ci/run").find("make test") != std::string::npos);
  CHECK(readSource("Makefile").find("test: deps") != std::string::npos);
  CHECK(runtime.find("USER sluice") != std::string::npos);
  CHECK(runtime.find("VOLUME [\"/var/lib/sluice\"]") != std::string::npos);
  CHECK(runtime.find("ENTRYPOINT [\"sluice\"]") != std::string::npos);
  CHECK(runtime.find("HEALTHCHECK") != std::string::npos);
  CHECK(runtime.find("CMD [\"sluice\", \"health\"]") != std::string::npos);
  // Every shared library of the binary comes from a package the runtime stage installs (the C library and
  // libgcc are in the base image). The sanitizer runtimes only exist in the test build.
  auto [libs, status] = run("ldd " + std::string(SLUICE_BINARY));
  REQUIRE(status == 0);
  std::set<std::string> tokens;
  std::istringstream words(runtime);
  for (std::string w; words >> w;) tokens.insert(w);
  std::regex lib_re("=> (/\\S+)");
  for (std::sregex_iterator it(libs.begin(), libs.end(), lib_re), end; it != end; ++it) {
    std::string path = (*it)[1].str();
    if (path.find("libasan") != std::string::npos || path.find("libubsan") != std::string::npos) continue;
    // dpkg knows a library by the path its package installed (/lib or /usr/lib, merged or not).
    auto [owner, rc] = run("dpkg -S " + path + " 2>/dev/null || dpkg -S \"$(readlink -f " + path + ")\"");
    REQUIRE(rc == 0);
    std::string package = owner.substr(0, owner.find(':'));
    if (package == "libc6" || package == "libgcc-s1") continue;
    INFO(path << " comes from " << package);
    CHECK(tokens.count(package) == 1);
  }
}
