#pragma once
// `make bench`: throughput, CPU and memory of each path (medians of several runs), the peers on the same paths,
// the cost of each stage alone, and the costs as the work grows. One file per family of rows.
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "tests/support/certs.h"
#include "tests/support/syslog_receiver.h"
#include "tests/support/test_drain.h"
#include "tests/support/temp_dir.h"

namespace sluice::bench {

struct Figures {
  std::string path;
  uint64_t lines = 0;
  double seconds = 0;
  double cpu_seconds = -1;     // user + sys of the agent; < 0 when not measured
  double peak_rss_mb = -1;
  uint64_t bytes = 0;          // payload bytes (lines without newlines) when MB/s is worth printing
  std::string note;
  // Over the runs of a row (medianOf): how many, and the spread of lines/s and CPU-s per million lines.
  int runs = 1;
  double rate_min = 0, rate_max = 0;
  double cpu_min = 0, cpu_max = 0;

  double rate() const { return seconds > 0 ? static_cast<double>(lines) / seconds : 0; }
  double cpuPerMillion() const { return cpu_seconds < 0 || lines == 0 ? -1 : cpu_seconds * 1e6 / static_cast<double>(lines); }
};

struct Setup {
  std::string agent;           // the sluice binary
  uint64_t lines = 1000000;
  size_t line_bytes = 100;
  int runs = 5;                // runs per whole-path row (the median is printed)
  bool quick = false;          // one run, fewer lines in the long rows
  std::string only;            // a regex: only the rows whose name it finds
  TempDir dir{"sluice-bench"};
  TestCerts certs;

  bool wants(const std::string& row) const;
};

// The sinks section of every agent row: the HTTPS test drain.
inline constexpr const char* kDrainSinkYaml = R"(sinks:
  - name: drain
    type: logplex_https
    url: {DRAIN_URL}
    tls: {ca_file: {CA_FILE}}
)";

// The agent header of every config: hostname, a state dir of the run's own, warnings only.
inline constexpr const char* kAgentYaml = "agent:\n  hostname: bench\n  state_dir: {STATE_DIR}\n  log_level: warn\n";

// The test drain as every row runs it: the bench's certificate, counting messages without keeping or checking them.
TestDrain::Options drainOptions(const Setup& setup);

// Replaces every `from` in `s` (the configs' {PLACEHOLDERS}).
void replaceAll(std::string& s, const std::string& from, const std::string& to);

// `count` lines of `line_bytes` bytes (newline excluded), all different.
std::string makeLines(uint64_t count, size_t line_bytes);

// The test drain alone, fed prebuilt logplex batches over HTTPS on 4 connections.
Figures drainAlone(Setup& setup);

// Any process (the agent, a peer) run until its receiving end has counted `lines`, or until it exits.
struct ProcessRun {
  std::string path;
  std::string binary;
  std::vector<std::string> args;
  bool feed_stdin = true;
  bool until_exit = false;     // the process's exit (at EOF) ends the run, not the count
  uint64_t lines = 0;
  std::function<size_t()> count;   // lines arrived at the receiving end
  std::string note;
};
Figures runProcess(Setup& setup, const ProcessRun& run, const std::string& input);

// Writes `config` with {STATE_DIR} (a new one per call), {DIR} and {CA_FILE} replaced; returns its path.
std::string writeConfig(Setup& setup, std::string config);

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
// The agent with `config` already complete (its sinks set), the run ended by `count`.
Figures runAgentCounting(Setup& setup, const AgentRun& run, const std::string& input, std::function<size_t()> count);

// Runs `one` setup.runs times (1 when quick) and returns the median (report.cc).
Figures repeated(const Setup& setup, const std::function<Figures()>& one, int runs = 0);
Figures medianOf(const std::vector<Figures>& runs);

// Tables (report.cc). Rows are printed as they are measured.
void printHeader(const std::string& title);
void printRow(const Figures& f);
void printTable(const std::vector<Figures>& rows);

// Families of rows; each runs the rows setup.wants() and prints them.
void mainRows(Setup& setup, const std::string& input);                    // bench_main.cc
void tailRows(Setup& setup, const std::string& input);                    // tail_run.cc
void kafkaRows(Setup& setup, const std::string& input);                   // kafka_run.cc
void peerRows(Setup& setup, const std::string& input);                    // peers.cc
void stageRows(Setup& setup, double whole_ns_per_line);                   // stages.cc
void manyFileRows(Setup& setup);                                          // many_files.cc
void fanOutRows(Setup& setup, const std::string& input);                  // growth.cc
void lineSizeRows(Setup& setup);                                          // growth.cc
void slowDrainRows(Setup& setup);                                         // slow_drain.cc

// CLF -> JSON (clf_json_bench.cc): the encoder in-process on one core, and `sluice convert` as a process.
std::string makeAccessLog(uint64_t count);
Figures clfJsonEncoder(Setup& setup);
Figures clfJsonConvert(Setup& setup);

// The tail rows' configs (tail_run.cc): a file `{DIR}/<format>.log` read from its beginning, and its content.
std::string tailSourceYaml(const std::string& format);
std::string dockerLines(std::string_view raw);

// The TLS syslog sink to a receiver at `port` (syslog_run.cc).
std::string tlsSyslogSinkYaml(uint16_t port);
// The TLS syslog receiver as every row runs it: the bench's certificate, counting messages without keeping or
// checking them.
SyslogReceiver::Options tlsReceiverOptions(const Setup& setup);

}  // namespace sluice::bench
