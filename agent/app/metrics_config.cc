#include "agent/app/metrics_config.h"

namespace sluice {
namespace {

const OptionSpec kMetricsOptions[] = {
    {"interval", OptionType::Duration, "10s", "how often what the app uses is sampled (GET /metrics/app, sluice_app_*)"},
    {"cgroups", OptionType::StringList, "[]", "cgroup v2 directories sampled as servers of the app (/sys/fs/cgroup/system.slice/myapp.service)"},
    {"filesystems", OptionType::StringList, "[]", "paths whose filesystems' used and available bytes are sampled"},
};

}  // namespace

std::span<const OptionSpec> metricsOptions() { return kMetricsOptions; }

void readMetricsSettings(const OptionValues& v, AppMetricsSettings& out, ConfigErrors& errors) {
  out.interval = v.duration("interval");
  out.cgroups = v.list("cgroups");
  out.filesystems = v.list("filesystems");
  if (out.interval.count() < 100 || out.interval.count() > 3600 * 1000) {
    errors.add(v.mark("interval"), "interval must be between 100ms and 1h");
  }
  for (const char* key : {"cgroups", "filesystems"}) {
    for (const std::string& path : v.list(key)) {
      if (path.empty() || path.front() != '/') {
        errors.add(v.mark(key), std::string(key) + ": '" + path + "' must be an absolute path");
      }
    }
  }
}

}  // namespace sluice
