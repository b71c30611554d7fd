#pragma once
// `sluice logs`: a client of the running agent's admin API (GET /logs). Dumps the last lines, follows new ones
// over Server-Sent Events (reconnecting, resuming after the last line seen), or reads a time window from the
// archive.
#include <string>
#include <vector>

#include "agent/core/result.h"

namespace sluice {

struct LogsOptions {
  size_t n = 100;
  bool n_set = false;
  std::string filter;
  bool follow = false;
  std::string after;
  std::string before;
  std::string format = "text";      // text | raw | json | clf (json asks the API for ndjson)
  std::string api = "127.0.0.1:8089";
  std::string token;                // --token, else $SLUICE_API_TOKEN
};

Result<LogsOptions> parseLogsArgs(const std::vector<std::string>& args);
std::string logsUsageText();
// Runs the command: 0 ok, 1 the API answered an error or cannot be reached, 2 usage.
int runLogsCommand(const LogsOptions& options);

// `sluice health [--api ADDR] [--token T]`: GET /healthz; prints its answer; 0 when healthy, 1 otherwise.
int runHealthCommand(const std::vector<std::string>& args);

// One GET of the admin API for the other client commands (`sluice metrics`), `api` and `token` as --api and
// --token: 0 with the answer's status and body, 1 when the agent cannot be reached (said on stderr), 2 for a bad
// address.
int getFromApi(const char* command, const std::string& api, const std::string& token, std::string path, int* status,
               std::string* body);

}  // namespace sluice
