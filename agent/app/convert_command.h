#pragma once
// `sluice convert`: access-log lines on standard input to NDJSON on standard output, or back, with the code of the
// clf_json sink.
#include <ostream>
#include <string>

namespace sluice {

struct ConvertOptions {
  std::string from;               // "clf" or "json"
  std::string to;                 // "json" or "clf"
  std::string schema = "compact"; // compact | ecs (clf -> json)
  std::string unparsed = "raw";   // raw | drop (clf -> json)
};

// Reads `in_fd` to its end and writes to `out_fd`. Returns the exit status: 0; 1 when a JSON line could not be
// converted back (reported on `err` with its line number, left out) or on an I/O error; 2 for bad options.
int runConvert(const ConvertOptions& options, int in_fd, int out_fd, std::ostream& err);

}  // namespace sluice
