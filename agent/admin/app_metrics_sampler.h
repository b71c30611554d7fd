#pragma once
// One sampling round of what the app uses: for each target (Sluice itself, an exec source's child and its
// descendants, a cgroup, a filesystem) its cumulative figures (for /metrics) and the values of the round (for the
// ring: CPU and disk as rates since the previous round of the same target).
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "agent/admin/app_metrics_proc.h"
#include "agent/admin/app_metrics_ring.h"

namespace sluice {

struct AppMetricsTarget {
  enum class Kind { Sluice, Exec, Cgroup, Filesystem };
  Kind kind = Kind::Exec;
  std::string name;   // the source's name; the path of a cgroup or filesystem; "sluice"
  int64_t pid = 0;    // Sluice and exec
  std::string path;   // cgroup directory or filesystem path
};
std::string_view targetKindName(AppMetricsTarget::Kind kind);

// The cumulative figures of a target at the last round, for the Prometheus gauges and counters.
struct AppTargetTotals {
  AppMetricsTarget target;
  bool ok = false;          // false: it could not be read this round
  Usage usage;              // processes and cgroups
  FilesystemUsage fs;       // filesystems
};

class AppMetricsSampler {
 public:
  // `proc_root`: "/proc", or a fake tree in tests.
  explicit AppMetricsSampler(std::string proc_root = "/proc") : table_(std::move(proc_root)) {}

  std::vector<AppServerValues> sample(int64_t now_us, const std::vector<AppMetricsTarget>& targets);
  const std::vector<AppTargetTotals>& totals() const { return totals_; }
  bool procTruncated() const { return table_.truncated(); }

 private:
  struct Previous {
    int64_t t_us = 0;
    int64_t pid = 0;
    Usage usage;
    uint64_t seen_round = 0;
  };
  AppTargetTotals read(const AppMetricsTarget& target) const;
  AppMetricValues values(int64_t now_us, const AppTargetTotals& totals, Previous* previous) const;

  ProcTable table_;
  std::map<std::string, Previous> previous_;
  std::vector<AppTargetTotals> totals_;
  uint64_t round_ = 0;
};

std::string appServerKey(const AppMetricsTarget& target);

}  // namespace sluice
