// The layers of agent/ and plugins/ point one way only (README "Layout"): a file may include its own folder and
// the folders below it, never one above it, and a plugin never includes another plugin. This reads the includes of
// every file, so that an upward or sideways include fails here, naming the file and the line.
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "tests/support/files.h"
#include "tests/support/temp_dir.h"

namespace {

namespace fs = std::filesystem;

// Lowest first. plugins/<name> all share the rank after app; agent/main.cc is the top.
const std::vector<std::string> kOrder = {"core", "formats", "loop", "net", "config", "buffer", "pipeline",
                                         "sink", "plugin", "sources", "admin", "app", "plugins", "main"};

// "agent/net/x.h" -> "net", "agent/main.cc" -> "main", "plugins/syslog/x.h" -> "plugins/syslog"; "" for other paths.
std::string roomOf(const std::string& path) {
  size_t slash = path.find('/');
  if (slash == std::string::npos) return "";
  std::string top = path.substr(0, slash);
  size_t next = path.find('/', slash + 1);
  if (top == "agent") return next == std::string::npos ? "main" : path.substr(slash + 1, next - slash - 1);
  if (top == "plugins" && next != std::string::npos) return "plugins/" + path.substr(slash + 1, next - slash - 1);
  return "";
}

int rankOf(const std::string& room) {
  std::string key = room.rfind("plugins/", 0) == 0 ? "plugins" : room;
  for (size_t i = 0; i < kOrder.size(); ++i) {
    if (kOrder[i] == key) return static_cast<int>(i);
  }
  return -1;
}

// Every include of a file under agent/ or plugins/ (below `root`) that points up or sideways, as
// "file:line: includes X (room -> room)"; a folder that is in no layer is reported too.
std::vector<std::string> layeringViolations(const fs::path& root) {
  std::vector<std::string> out;
  for (const char* top : {"agent", "plugins"}) {
    if (!fs::exists(root / top)) continue;
    for (const auto& e : fs::recursive_directory_iterator(root / top)) {
      std::string ext = e.path().extension().string();
      if (!e.is_regular_file() || (ext != ".h" && ext != ".cc" && ext != ".c")) continue;
      std::string rel = fs::relative(e.path(), root).string();
      std::string room = roomOf(rel);
      if (rankOf(room) < 0) {
        out.push_back(rel + ": folder '" + room + "' is in no layer: add it to the order (README Layout)");
        continue;
      }
      std::ifstream in(e.path());
      std::string line;
      for (int n = 1; std::getline(in, line); ++n) {
        if (line.rfind("#include \"", 0) != 0) continue;
        std::string target = line.substr(10, line.find('"', 10) - 10);
        std::string to = roomOf(target);
        if (to.empty() || to == room) continue;
        const int from_rank = rankOf(room), to_rank = rankOf(to);
        const bool up = to_rank > from_rank;
        const bool sideways = to_rank == from_rank;  // one plugin into another
        if (up || sideways || to_rank < 0) {
          out.push_back(rel + ":" + std::to_string(n) + ": includes " + target + " (" + room + " -> " + to + ", " +
                        (sideways ? "sideways" : "upward") + ")");
        }
      }
    }
  }
  return out;
}

std::string join(const std::vector<std::string>& lines) {
  std::string s;
  for (const auto& l : lines) s += l + "\n";
  return s;
}

void writeSource(const fs::path& path, const std::string& text) {
  fs::create_directories(path.parent_path());
  sluice::writeFile(path.string(), text);
}

}  // namespace

TEST_CASE("no include in agent/ or plugins/ points up a layer or across plugins", "[layering]") {
  std::vector<std::string> v = layeringViolations(SLUICE_SOURCE_DIR);
  INFO(join(v));
  CHECK(v.empty());
}

TEST_CASE("the layering check names an upward include, a sideways plugin include and a folder in no layer", "[layering]") {
  sluice::TempDir dir("sluice-layering");
  const fs::path root = dir.path();
  writeSource(root / "agent/core/ok.h", "#include \"agent/core/other.h\"\n#include <vector>\n");
  writeSource(root / "agent/net/http.h", "#pragma once\n#include \"agent/core/ok.h\"\n#include \"agent/app/agent.h\"\n");
  writeSource(root / "plugins/syslog/x.cc", "#include \"agent/sink/transport.h\"\n#include \"plugins/file/y.h\"\n");
  writeSource(root / "agent/misc/z.h", "\n");
  std::vector<std::string> v = layeringViolations(root);
  std::sort(v.begin(), v.end());
  CHECK(v == std::vector<std::string>{
                 "agent/misc/z.h: folder 'misc' is in no layer: add it to the order (README Layout)",
                 "agent/net/http.h:3: includes agent/app/agent.h (net -> app, upward)",
                 "plugins/syslog/x.cc:2: includes plugins/file/y.h (plugins/syslog -> plugins/file, sideways)"});
}

TEST_CASE("the README's Layout states the same order of layers", "[layering]") {
  const std::string readme = sluice::readSource("README.md");
  std::string order;
  for (auto it = kOrder.rbegin(); it != kOrder.rend(); ++it) order += (order.empty() ? "" : " → ") + *it;
  INFO("expected in README.md: " << order);
  CHECK(readme.find(order) != std::string::npos);
}
