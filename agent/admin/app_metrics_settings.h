#pragma once
#include <chrono>
#include <string>
#include <vector>

namespace sluice {

// The metrics: section: what the app Sluice serves uses (GET /metrics/app, the sluice_app_* gauges).
struct AppMetricsSettings {
  std::chrono::milliseconds interval{10000};  // a sampling round this often
  std::vector<std::string> cgroups;           // cgroup v2 directories, each one more "server"
  std::vector<std::string> filesystems;       // paths whose filesystems' used and available bytes are sampled
  bool operator==(const AppMetricsSettings&) const = default;
};

// How long the ring keeps (at one row per interval, see AppMetricsRing::kMaxRounds).
inline constexpr int64_t kAppMetricsKeepUs = 6LL * 3600 * 1000000;

}  // namespace sluice
