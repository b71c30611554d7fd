#include "agent/admin/app_metrics_sampler.h"

#include <algorithm>

namespace sluice {

std::string_view targetKindName(AppMetricsTarget::Kind kind) {
  switch (kind) {
    case AppMetricsTarget::Kind::Sluice:
      return "sluice";
    case AppMetricsTarget::Kind::Exec:
      return "exec";
    case AppMetricsTarget::Kind::Cgroup:
      return "cgroup";
    case AppMetricsTarget::Kind::Filesystem:
      return "filesystem";
  }
  return "";
}

std::string appServerKey(const AppMetricsTarget& target) {
  return std::string(targetKindName(target.kind)) + ":" + target.name;
}

AppTargetTotals AppMetricsSampler::read(const AppMetricsTarget& target) const {
  AppTargetTotals t;
  t.target = target;
  switch (target.kind) {
    case AppMetricsTarget::Kind::Sluice:
      // Sluice alone: its children are the exec sources, counted on their own.
      table_.addProcess(target.pid, t.usage);
      t.ok = t.usage.processes > 0;
      break;
    case AppMetricsTarget::Kind::Exec:
      t.usage = table_.treeUsage(target.pid);
      t.ok = t.usage.processes > 0;
      break;
    case AppMetricsTarget::Kind::Cgroup:
      if (std::optional<Usage> c = readCgroup(target.path)) {
        t.ok = true;
        t.usage = *c;
      }
      break;
    case AppMetricsTarget::Kind::Filesystem:
      if (std::optional<FilesystemUsage> f = readFilesystem(target.path)) {
        t.ok = true;
        t.fs = *f;
      }
      break;
  }
  return t;
}

AppMetricValues AppMetricsSampler::values(int64_t now_us, const AppTargetTotals& t, Previous* prev) const {
  AppMetricValues v = noAppMetricValues();
  if (!t.ok) return v;
  if (t.target.kind == AppMetricsTarget::Kind::Filesystem) {
    v[kFilesystemUsedBytes] = static_cast<double>(t.fs.used_bytes);
    v[kFilesystemAvailableBytes] = static_cast<double>(t.fs.available_bytes);
    return v;
  }
  const Usage& u = t.usage;
  const Usage& before = prev->usage;
  v[kMemoryRssBytes] = static_cast<double>(u.memory_bytes);
  if (t.target.kind != AppMetricsTarget::Kind::Cgroup) v[kOpenFds] = static_cast<double>(u.open_fds);
  // Rates need the previous round of the same process (a restarted child starts its counters again). A
  // descendant that exits takes its counts with it: a negative difference is 0, not a negative rate.
  const bool comparable = prev->t_us != 0 && now_us > prev->t_us && prev->pid == t.target.pid;
  if (comparable) {
    const double dt = static_cast<double>(now_us - prev->t_us) / 1e6;
    auto rate = [dt](double now, double before) { return now > before ? (now - before) / dt : 0.0; };
    v[kCpuPercent] = 100.0 * rate(u.cpu_seconds, before.cpu_seconds);
    v[kDiskReadBytesPerSecond] = rate(static_cast<double>(u.read_bytes), static_cast<double>(before.read_bytes));
    v[kDiskWriteBytesPerSecond] = rate(static_cast<double>(u.write_bytes), static_cast<double>(before.write_bytes));
  }
  prev->t_us = now_us;
  prev->pid = t.target.pid;
  prev->usage = u;
  return v;
}

std::vector<AppServerValues> AppMetricsSampler::sample(int64_t now_us, const std::vector<AppMetricsTarget>& targets) {
  ++round_;
  const bool any_tree = std::any_of(targets.begin(), targets.end(), [](const AppMetricsTarget& t) {
    return t.kind == AppMetricsTarget::Kind::Exec;
  });
  if (any_tree) table_.scan();
  totals_.clear();
  std::vector<AppServerValues> out;
  for (const AppMetricsTarget& target : targets) {
    AppTargetTotals t = read(target);
    std::string key = appServerKey(target);
    Previous& prev = previous_[key];
    prev.seen_round = round_;
    AppMetricValues v = values(now_us, t, &prev);
    if (t.ok) out.push_back(AppServerValues{std::move(key), v});
    totals_.push_back(std::move(t));
  }
  // Targets gone (a source removed by a reload) are forgotten.
  std::erase_if(previous_, [this](const auto& kv) { return kv.second.seen_round != round_; });
  return out;
}

}  // namespace sluice
