#pragma once
// `sluice logs`: a client of the running agent's admin API (GET /logs). Dumps the last lines, follows new ones
// over Server-Sent Events (reconnecting, resuming after the last line seen), or reads a time window from the
// archive. With --session it creates a log session (POST /log-sessions) and prints its URL; given such a URL it
// reads it (log_session_command.cc).
#include <cstdint>
#include <string>
#include <vector>

#include "agent/core/result.h"
#include "agent/net/http.h"

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
  bool session = false;             // --session: create a log session, print its URL
  bool tail = false;                // --tail: the session follows new lines
  std::string session_url;          // a log session's URL to read (a positional http(s):// argument)
};

struct ApiEndpoint {
  std::string host;
  uint16_t port = 8089;
};
// --api's HOST:PORT (or http://HOST:PORT).
Result<ApiEndpoint> parseApiAddress(std::string addr);
// The headers of every request `sluice logs` makes: its User-Agent, and the token when there is one.
std::vector<HttpHeader> authHeaders(const LogsOptions& o);
// Takes the complete Server-Sent Events at the front of `sse` and returns what to print for them in `format`
// (notes about dropped lines go to stderr); `last_id` gets the last event id seen.
std::string renderSseEvents(std::string& sse, const std::string& format, uint64_t* last_id);

Result<LogsOptions> parseLogsArgs(const std::vector<std::string>& args);
std::string logsUsageText();
// Runs the command: 0 ok, 1 the API answered an error or cannot be reached, 2 usage.
int runLogsCommand(const LogsOptions& options);

// `sluice health [--ready] [--api ADDR] [--token T]`: GET /healthz (--ready: /readyz); prints its answer; 0 when
// healthy (ready), 1 otherwise.
int runHealthCommand(const std::vector<std::string>& args);

// One GET of the admin API for the other client commands (`sluice metrics`), `api` and `token` as --api and
// --token: 0 with the answer's status and body, 1 when the agent cannot be reached (said on stderr), 2 for a bad
// address.
int getFromApi(const char* command, const std::string& api, const std::string& token, std::string path, int* status,
               std::string* body);

}  // namespace sluice
