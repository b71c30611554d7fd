#pragma once
// Samples what the app uses every metrics.interval on the agent's loop (a timer; a round reads a few small
// /proc and cgroup files and is bounded by ProcTable::kMaxProcesses) into the fixed ring behind GET /metrics/app,
// and keeps the last round's figures for /metrics.
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "agent/admin/app_metrics_query.h"
#include "agent/admin/app_metrics_ring.h"
#include "agent/admin/app_metrics_sampler.h"
#include "agent/admin/app_metrics_settings.h"
#include "agent/admin/prometheus.h"
#include "agent/loop/loop.h"

namespace sluice {

class AppMetrics {
 public:
  // The exec sources' children now: (source name, pid).
  using ChildrenFn = std::function<std::vector<std::pair<std::string, int64_t>>()>;
  using ClockFn = std::function<int64_t()>;

  AppMetrics(Loop& loop, AppMetricsSettings settings, ChildrenFn children, ClockFn clock = nullptr,
             std::string proc_root = "/proc");
  AppMetrics(const AppMetrics&) = delete;
  AppMetrics& operator=(const AppMetrics&) = delete;

  void start();
  void close() { timer_.close(); }
  // One round now (the timer's work; tests call it with an injected clock).
  void sampleNow() noexcept;

  const AppMetricsRing& ring() const { return ring_; }
  void appendPrometheus(PrometheusText& p) const;
  AppMetricsAnswer query(std::string_view query_string) const;

 private:
  static void onTimer(uv_timer_t* timer) noexcept;
  std::vector<AppMetricsTarget> targets() const;

  Loop& loop_;
  AppMetricsSettings settings_;
  ChildrenFn children_;
  ClockFn clock_;
  AppMetricsSampler sampler_;
  AppMetricsRing ring_;
  UvHandle<uv_timer_t> timer_;
  bool warned_full_ = false;
};

}  // namespace sluice
