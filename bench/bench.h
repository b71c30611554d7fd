#pragma once
// `make bench`: throughput, CPU and memory of each path, with the drain measured alone so it is known not to be
// the bottleneck.
#include <cstdint>
#include <string>
#include <vector>

#include "tests/support/certs.h"
#include "tests/support/test_drain.h"
#include "tests/support/temp_dir.h"

namespace sluice::bench {

struct Figures {
  std::string path;
  uint64_t lines = 0;
  double seconds = 0;
  double cpu_seconds = -1;     // user + sys of the agent; < 0 when not measured
  double peak_rss_mb = -1;
  std::string note;
};

struct Setup {
  std::string agent;           // the sluice binary
  uint64_t lines = 1000000;
  size_t line_bytes = 100;
  TempDir dir{"sluice-bench"};
  TestCerts certs;
};

// The sinks section of every agent row: the HTTPS test drain.
inline constexpr const char* kDrainSinkYaml = R"(sinks:
  - name: drain
    type: logplex_https
    url: {DRAIN_URL}
    tls: {ca_file: {CA_FILE}}
)";

// The test drain as every row runs it: the bench's certificate, counting messages without keeping or checking them.
TestDrain::Options drainOptions(const Setup& setup);

// Replaces every `from` in `s` (the configs' {PLACEHOLDERS}).
void replaceAll(std::string& s, const std::string& from, const std::string& to);

// 1,000,000 lines of `line_bytes` bytes (newline excluded), all different.
std::string makeLines(uint64_t count, size_t line_bytes);

// The test drain alone, fed prebuilt logplex batches over HTTPS on 4 connections.
Figures drainAlone(Setup& setup);

// The agent with `config` (YAML, its sinks pointing at the drain) fed `input` on stdin, or reading files.
struct AgentRun {
  std::string path;            // the name in the table
  std::string config;          // the YAML; "{DRAIN_URL}" and "{CA_FILE}" are replaced
  bool feed_stdin = true;
  bool until_exit = false;     // the agent's exit (at EOF, every line delivered) ends the run, not the drain's count
  std::string note;            // said next to the figures
  uint64_t lines = 0;          // the lines of the run (`input`'s, or the drain's to wait for); 0: setup.lines
};
Figures runAgent(Setup& setup, const AgentRun& run, const std::string& input);

// CLF -> JSON (clf_json_bench.cc): the encoder in-process on one core, and `sluice convert` as a process.
std::string makeAccessLog(uint64_t count);
Figures clfJsonEncoder(Setup& setup);
Figures clfJsonConvert(Setup& setup);

void printTable(const std::vector<Figures>& rows);

// stdin -> kafka, into librdkafka's mock cluster, and those records out of it -> the HTTPS drain (kafka_run.cc;
// the mock is not a production broker).
std::vector<Figures> kafkaRuns(Setup& setup, const std::string& input);

// The tail source: `input` written to a file, read from its beginning (raw, then as Docker json-file records).
std::vector<Figures> tailRuns(Setup& setup, const std::string& input);

}  // namespace sluice::bench
