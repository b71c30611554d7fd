#include "agent/admin/app_metrics.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include "agent/core/clock.h"

namespace sluice {
namespace {

// Declared here once; /metrics shows them after the agent's own families.
constexpr PromFamily kAppFamilies[] = {
    {"sluice_app_cpu_seconds_total", "counter", "CPU time (user + system) of Sluice, of an exec source's child and its descendants, or of a cgroup (metrics.cgroups)."},
    {"sluice_app_memory_rss_bytes", "gauge", "Resident memory of the process tree; a cgroup's memory.current."},
    {"sluice_app_open_fds", "gauge", "Open file descriptors of the process tree."},
    {"sluice_app_processes", "gauge", "Processes in an exec source's tree (the child and its descendants)."},
    {"sluice_app_disk_read_bytes_total", "counter", "Bytes read from storage (/proc/PID/io read_bytes; a cgroup's io.stat rbytes)."},
    {"sluice_app_disk_written_bytes_total", "counter", "Bytes written to storage (/proc/PID/io write_bytes; a cgroup's io.stat wbytes)."},
    {"sluice_app_filesystem_used_bytes", "gauge", "Used bytes of the filesystem of a path in metrics.filesystems."},
    {"sluice_app_filesystem_available_bytes", "gauge", "Bytes available to unprivileged users on that filesystem."},
    {"sluice_app_metrics_ring_bytes", "gauge", "Memory of the ring behind GET /metrics/app (a column per server seen, at most 16)."},
};

}  // namespace

AppMetrics::AppMetrics(Loop& loop, AppMetricsSettings settings, ChildrenFn children, ClockFn clock,
                       std::string proc_root)
    : loop_(loop),
      settings_(std::move(settings)),
      children_(std::move(children)),
      clock_(clock ? std::move(clock) : ClockFn(&wallMicros)),
      sampler_(std::move(proc_root)),
      ring_(AppMetricsRing::roundsFor(kAppMetricsKeepUs, static_cast<int64_t>(settings_.interval.count()) * 1000)) {}

void AppMetrics::start() {
  timer_.init(this, [&](uv_timer_t* t) { return uv_timer_init(loop_.get(), t); });
  const auto every = static_cast<uint64_t>(std::max<int64_t>(settings_.interval.count(), 1));
  // The first round at once: the second, one interval later, gives the first rates.
  uv_timer_start(timer_.get(), &AppMetrics::onTimer, 0, every);
}

void AppMetrics::onTimer(uv_timer_t* timer) noexcept {
  if (auto* self = ownerOf<AppMetrics>(timer)) self->sampleNow();
}

std::vector<AppMetricsTarget> AppMetrics::targets() const {
  std::vector<AppMetricsTarget> out;
  out.push_back({AppMetricsTarget::Kind::Sluice, "sluice", static_cast<int64_t>(getpid()), ""});
  if (children_) {
    for (auto& [name, pid] : children_()) out.push_back({AppMetricsTarget::Kind::Exec, name, pid, ""});
  }
  for (const std::string& c : settings_.cgroups) out.push_back({AppMetricsTarget::Kind::Cgroup, c, 0, c});
  for (const std::string& f : settings_.filesystems) out.push_back({AppMetricsTarget::Kind::Filesystem, f, 0, f});
  return out;
}

void AppMetrics::sampleNow() noexcept {
  try {
    const int64_t now = clock_();
    std::vector<AppServerValues> round = sampler_.sample(now, targets());
    const size_t left_out = ring_.add(now, round);
    if (left_out > 0 && !warned_full_) {
      warned_full_ = true;
      spdlog::warn("metrics: more than {} exec sources, cgroups and filesystems; {} are left out of /metrics/app",
                   AppMetricsRing::kMaxServers, left_out);
    }
  } catch (const std::exception& ex) {
    // Only allocation can throw here: skip the round rather than let it cross the loop.
    spdlog::warn("metrics: a sampling round failed: {}", ex.what());
  }
}

void AppMetrics::appendPrometheus(PrometheusText& p) const {
  p.families(kAppFamilies);
  for (const AppTargetTotals& t : sampler_.totals()) {
    if (!t.ok) continue;
    const std::string_view kind = targetKindName(t.target.kind);
    if (t.target.kind == AppMetricsTarget::Kind::Filesystem) {
      PromLabels l{{"path", t.target.name}};
      p.sample("sluice_app_filesystem_used_bytes", "", l, static_cast<double>(t.fs.used_bytes));
      p.sample("sluice_app_filesystem_available_bytes", "", l, static_cast<double>(t.fs.available_bytes));
      continue;
    }
    PromLabels l{{"source", t.target.name}, {"kind", kind}};
    p.sample("sluice_app_cpu_seconds_total", "", l, t.usage.cpu_seconds);
    p.sample("sluice_app_memory_rss_bytes", "", l, static_cast<double>(t.usage.memory_bytes));
    if (t.target.kind != AppMetricsTarget::Kind::Cgroup) {
      p.sample("sluice_app_open_fds", "", l, static_cast<double>(t.usage.open_fds));
    }
    if (t.target.kind == AppMetricsTarget::Kind::Exec) {
      p.sample("sluice_app_processes", "", l, static_cast<double>(t.usage.processes));
    }
    p.sample("sluice_app_disk_read_bytes_total", "", l, static_cast<double>(t.usage.read_bytes));
    p.sample("sluice_app_disk_written_bytes_total", "", l, static_cast<double>(t.usage.write_bytes));
  }
  p.sample("sluice_app_metrics_ring_bytes", "", {}, static_cast<double>(ring_.memoryBytes()));
}

AppMetricsAnswer AppMetrics::query(std::string_view query_string) const {
  return answerAppMetrics(ring_, parseQueryString(query_string), clock_());
}

}  // namespace sluice
