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
    case AppMetricsTarget::Kind::Exec: {
      // Sluice alone (its children are the exec sources, counted on their own); an exec child with its tree.
      TreeUsage u;
      if (target.kind == AppMetricsTarget::Kind::Sluice) {
        table_.addProcess(target.pid, u);
      } else {
        u = table_.treeUsage(target.pid);
      }
      t.ok = u.processes > 0;
      t.cpu_seconds = u.cpu_seconds;
      t.memory_bytes = u.rss_bytes;
      t.open_fds = u.open_fds;
      t.read_bytes = u.read_bytes;
      t.write_bytes = u.write_bytes;
      t.processes = u.processes;
      break;
    }
    case AppMetricsTarget::Kind::Cgroup:
      if (std::optional<CgroupUsage> c = readCgroup(target.path)) {
        t.ok = true;
        t.cpu_seconds = c->cpu_seconds;
        t.memory_bytes = c->memory_bytes;
        t.read_bytes = c->io.read;
        t.write_bytes = c->io.written;
      }
      break;
    case AppMetricsTarget::Kind::Filesystem:
      if (std::optional<FilesystemUsage> f = readFilesystem(target.path)) {
        t.ok = true;
        t.fs_used_bytes = f->used_bytes;
        t.fs_available_bytes = f->available_bytes;
      }
      break;
  }
  return t;
}

AppMetricValues AppMetricsSampler::values(int64_t now_us, const AppTargetTotals& t, Previous* prev) const {
  AppMetricValues v = noAppMetricValues();
  if (!t.ok) return v;
  if (t.target.kind == AppMetricsTarget::Kind::Filesystem) {
    v[kFilesystemUsedBytes] = static_cast<double>(t.fs_used_bytes);
    v[kFilesystemAvailableBytes] = static_cast<double>(t.fs_available_bytes);
    return v;
  }
  v[kMemoryRssBytes] = static_cast<double>(t.memory_bytes);
  if (t.target.kind != AppMetricsTarget::Kind::Cgroup) v[kOpenFds] = static_cast<double>(t.open_fds);
  // Rates need the previous round of the same process (a restarted child starts its counters again). A
  // descendant that exits takes its counts with it: a negative difference is 0, not a negative rate.
  const bool comparable = prev->t_us != 0 && now_us > prev->t_us && prev->pid == t.target.pid;
  if (comparable) {
    const double dt = static_cast<double>(now_us - prev->t_us) / 1e6;
    auto rate = [dt](double now, double before) { return now > before ? (now - before) / dt : 0.0; };
    v[kCpuPercent] = 100.0 * rate(t.cpu_seconds, prev->cpu_seconds);
    v[kDiskReadBytesPerSecond] = rate(static_cast<double>(t.read_bytes), static_cast<double>(prev->read_bytes));
    v[kDiskWriteBytesPerSecond] = rate(static_cast<double>(t.write_bytes), static_cast<double>(prev->write_bytes));
  }
  prev->t_us = now_us;
  prev->pid = t.target.pid;
  prev->cpu_seconds = t.cpu_seconds;
  prev->read_bytes = t.read_bytes;
  prev->write_bytes = t.write_bytes;
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
