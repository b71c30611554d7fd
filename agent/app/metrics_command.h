#pragma once
// `sluice metrics [--resolution R] [--from T] [--to T] [--api ADDR] [--token T]`: GET /metrics/app of the running
// agent, printed as a small table (and a sparkline per metric when stdout is a terminal).
#include <string>
#include <vector>

#include "agent/core/result.h"

namespace sluice {

struct MetricsOptions {
  std::string resolution;           // "" = the API's default (1m)
  std::string from;
  std::string to;
  std::string api = "127.0.0.1:8089";
  std::string token;                // --token, else $SLUICE_API_TOKEN
  bool json = false;                // --json: the API's answer as it is
};

Result<MetricsOptions> parseMetricsArgs(const std::vector<std::string>& args);
std::string metricsUsageText();
// The table of an answer of GET /metrics/app; an error when it is not that JSON.
Result<std::string> formatAppMetricsTable(const std::string& json, bool sparklines);
// 0 ok, 1 the API answered an error or cannot be reached, 2 usage.
int runMetricsCommand(const MetricsOptions& options);

}  // namespace sluice
