// The tail source's rows of `make bench`: a file of the same lines read from its beginning, as raw text and as
// Docker json-file records, to the HTTPS drain.
#include <fstream>

#include "bench/bench.h"

namespace sluice::bench {
namespace {

const std::string kTailHttps = std::string(R"(agent:
  hostname: bench
  state_dir: {STATE_DIR}/{FORMAT}
  log_level: warn
sources:
  - name: files
    type: tail
    paths: ["{DIR}/{FORMAT}.log"]
    format: {FORMAT}
    start_at: beginning
)") + kDrainSinkYaml;

std::string dockerLines(std::string_view raw) {
  std::string out;
  out.reserve(raw.size() * 2);
  size_t start = 0;
  while (start < raw.size()) {
    size_t nl = raw.find('\n', start);
    out += R"({"log":")";
    out.append(raw.substr(start, nl - start));
    out += R"(\n","stream":"stdout","time":"2024-05-01T10:00:00.123456789Z"})";
    out += '\n';
    start = nl + 1;
  }
  return out;
}

std::string withFormat(std::string text, const std::string& format) {
  replaceAll(text, "{FORMAT}", format);
  return text;
}

}  // namespace

std::vector<Figures> tailRuns(Setup& setup, const std::string& input) {
  std::vector<Figures> rows;
  {
    std::ofstream(setup.dir.file("raw.log"), std::ios::binary) << input;
  }
  rows.push_back(runAgent(setup, AgentRun{"tail (raw file) -> HTTPS drain", withFormat(kTailHttps, "raw"), false}, ""));
  {
    std::ofstream(setup.dir.file("docker.log"), std::ios::binary) << dockerLines(input);
  }
  rows.push_back(
      runAgent(setup, AgentRun{"tail (docker json) -> HTTPS drain", withFormat(kTailHttps, "docker"), false}, ""));
  return rows;
}

}  // namespace sluice::bench
