#pragma once
// GET /metrics/app?resolution=10m&from=ISO&to=ISO → the JSON of shared/seeds/003 ("View App Metrics"): for every
// metric, "<name>.avg" and "<name>.p90", each an object from the Unix time (seconds) of a window's start to the
// value across the servers.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "agent/admin/app_metrics_ring.h"
#include "agent/admin/query_string.h"
#include "agent/core/result.h"
#include "agent/net/http.h"

namespace sluice {

inline constexpr int64_t kDefaultAppResolutionUs = 60LL * 1000000;

struct AppMetricsAnswer {
  int status = 200;
  std::vector<HttpHeader> headers;
  std::string body;
};

// "1m", "15m", "1h", "30s", "1d", "1h30m": whole seconds, at least one.
Result<int64_t> parseAppResolution(std::string_view text);
AppMetricsAnswer answerAppMetrics(const AppMetricsRing& ring, const QueryParams& params, int64_t now_us);
std::string appMetricsJson(const std::vector<AppMetricsRing::Window>& windows);

}  // namespace sluice
