#pragma once
// The options of a tail source (kTailOptions declares them; README.md documents them).
#include <chrono>
#include <cstddef>
#include <span>
#include <string>
#include <vector>

#include "agent/config/options.h"
#include "plugins/tail/line_decoder.h"

namespace sluice::plugins::tail {

struct TailOptions {
  std::vector<std::string> paths;           // globs
  std::vector<std::string> exclude_paths;   // globs matched against the path and against its base name
  TailFormat format = TailFormat::Auto;
  MalformedLines malformed = MalformedLines::Raw;   // lines that do not decode in the file's format
  bool start_at_beginning = false;          // start_at: files never seen before
  std::chrono::milliseconds refresh_interval{5000};
  std::chrono::milliseconds poll_interval{1000};
  std::chrono::milliseconds read_interval{1000};   // a busy file's writes are gathered for one read (0: none)
  std::chrono::milliseconds partial_flush{5000};
  std::chrono::milliseconds checkpoint_interval{1000};
  std::string source_name;                  // template; "" = <pod>/<container> or the base name
  size_t max_open_files = 0;                // 0: as many as the process's descriptor budget gives
  size_t max_line_bytes = 64 * 1024;
  std::string state_dir;
  // Not a key: reads on the loop from the page cache (TailedFile::readCached). Tests turn it off to read in the pool
  // as a file the page cache does not hold is read.
  bool cached_reads = true;
};

// The keys of a tail source's table (besides those of every source).
extern const std::span<const OptionSpec> kTailOptions;

// The checks of a tail source's values that its option table cannot express (sluice check reports them).
void validateTailOptions(const OptionValues& values, ConfigErrors& errors);

// The options from validated values; `max_line_bytes` and `state_dir` come from the agent.
TailOptions tailOptionsFrom(const OptionValues& values, size_t max_line_bytes, const std::string& state_dir);

}  // namespace sluice::plugins::tail
