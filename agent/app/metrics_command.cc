#include "agent/app/metrics_command.h"

#include <rapidjson/document.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <map>

#include "agent/admin/query_string.h"
#include "agent/app/cli.h"
#include "agent/app/logs_command.h"
#include "agent/core/clock.h"
#include "agent/core/units.h"

namespace sluice {
namespace {

std::string human(const std::string& metric, double v) {
  char buf[32];
  if (metric.find("_bytes") != std::string::npos && v >= 1024) {
    const char* units[] = {"KiB", "MiB", "GiB", "TiB"};
    double x = v / 1024;
    size_t u = 0;
    while (x >= 1024 && u + 1 < std::size(units)) {
      x /= 1024;
      ++u;
    }
    snprintf(buf, sizeof buf, "%.1f %s", x, units[u]);
  } else if (v == std::floor(v) && std::fabs(v) < 1e15) {
    snprintf(buf, sizeof buf, "%.0f", v);
  } else {
    snprintf(buf, sizeof buf, "%.1f", v);
  }
  return buf;
}

// ▁▂▃▄▅▆▇█ scaled between the series' minimum and maximum; the last 40 windows.
std::string sparkline(const std::vector<double>& values) {
  static const char* kBars[] = {"\u2581", "\u2582", "\u2583", "\u2584", "\u2585", "\u2586", "\u2587", "\u2588"};
  const size_t first = values.size() > 40 ? values.size() - 40 : 0;
  auto [lo, hi] = std::minmax_element(values.begin() + static_cast<long>(first), values.end());
  std::string out;
  for (size_t i = first; i < values.size(); ++i) {
    const double span = *hi - *lo;
    const size_t level = span > 0 ? static_cast<size_t>((values[i] - *lo) / span * 7.0 + 0.5) : 0;
    out += kBars[std::min<size_t>(level, 7)];
  }
  return out;
}

std::string pad(std::string s, size_t width) {
  if (s.size() < width) s.append(width - s.size(), ' ');
  return s;
}

}  // namespace

Result<std::string> formatAppMetricsTable(const std::string& json, bool sparklines) {
  rapidjson::Document doc;
  doc.Parse<rapidjson::kParseIterativeFlag>(json.data(), json.size());
  if (doc.HasParseError() || !doc.IsObject()) return Error{"the answer is not a JSON object"};
  // "memory_rss_bytes.avg" → { epoch → value }, in the API's order.
  std::vector<std::string> names;
  std::map<std::string, std::pair<std::vector<double>, std::vector<double>>> series;
  for (auto it = doc.MemberBegin(); it != doc.MemberEnd(); ++it) {
    std::string key(it->name.GetString(), it->name.GetStringLength());
    const size_t dot = key.rfind('.');
    if (dot == std::string::npos || !it->value.IsObject()) continue;
    const std::string metric = key.substr(0, dot);
    const bool avg = key.substr(dot + 1) == "avg";
    if (!series.count(metric)) names.push_back(metric);
    auto& [avgs, p90s] = series[metric];
    std::vector<std::pair<int64_t, double>> points;
    for (auto p = it->value.MemberBegin(); p != it->value.MemberEnd(); ++p) {
      if (!p->value.IsNumber()) continue;
      points.emplace_back(std::strtoll(p->name.GetString(), nullptr, 10), p->value.GetDouble());
    }
    std::sort(points.begin(), points.end());
    for (const auto& pt : points) (avg ? avgs : p90s).push_back(pt.second);
  }
  std::string out = pad("METRIC", 30) + pad("WINDOWS", 9) + pad("AVG (LAST)", 14) + pad("P90 (LAST)", 14) +
                    pad("MIN AVG", 14) + pad("MAX AVG", 14) + (sparklines ? "AVG" : "");
  while (!out.empty() && out.back() == ' ') out.pop_back();
  out += "\n";
  for (const std::string& m : names) {
    const auto& [avgs, p90s] = series[m];
    std::string row = pad(m, 30) + pad(std::to_string(avgs.size()), 9);
    if (avgs.empty()) {
      row += "-";
    } else {
      auto [lo, hi] = std::minmax_element(avgs.begin(), avgs.end());
      row += pad(human(m, avgs.back()), 14) + pad(p90s.empty() ? "-" : human(m, p90s.back()), 14) +
             pad(human(m, *lo), 14) + pad(human(m, *hi), 14);
      if (sparklines) row += sparkline(avgs);
    }
    while (!row.empty() && row.back() == ' ') row.pop_back();
    out += row + "\n";
  }
  return out;
}

std::string metricsUsageText() {
  return R"(Usage: sluice metrics [--resolution R] [--from T] [--to T] [--api ADDR] [--token TOKEN] [--json]
  What the app uses (GET /metrics/app): for each metric the average and 90th percentile across Sluice, the exec
  sources' process trees, metrics.cgroups and metrics.filesystems, per window of R.
  --resolution R      the window: 1m (default), 15m, 1h, ...
  --from T, --to T    ISO 8601 (2026-11-21T10:00:00Z); default: the oldest sample kept, and now
  --json              print the API's JSON as it is
  --api ADDR          the API's HOST:PORT (default 127.0.0.1:8089)
  --token TOKEN       api.token, when set (default: $SLUICE_API_TOKEN)
)";
}

Result<MetricsOptions> parseMetricsArgs(const std::vector<std::string>& args) {
  MetricsOptions o;
  if (const char* t = std::getenv("SLUICE_API_TOKEN")) o.token = t;
  for (size_t i = 0; i < args.size(); ++i) {
    const CliArgument arg = splitInlineValue(args[i]);
    const std::string& a = arg.flag;
    if (a == "-h" || a == "--help") return Error{"help"};
    if (a == "--json") {
      o.json = true;
      continue;
    }
    std::string* slot = a == "--resolution" ? &o.resolution
                        : a == "--from"     ? &o.from
                        : a == "--to"       ? &o.to
                        : a == "--api"      ? &o.api
                        : a == "--token"    ? &o.token
                                            : nullptr;
    if (slot == nullptr) return Error{"unknown argument '" + args[i] + "'"};
    Result<std::string> taken = flagValue(arg, args, i);
    if (!taken) return taken.takeError();
    const std::string& value = *taken;
    if ((a == "--from" || a == "--to") && !parseTimestampMicros(value)) {
      return Error{a + ": " + parseTimestampMicros(value).error().message};
    }
    if (a == "--resolution" && !parseDuration(value)) return Error{"--resolution: " + parseDuration(value).error().message};
    *slot = value;
  }
  return o;
}

int runMetricsCommand(const MetricsOptions& o) {
  std::string path = "/metrics/app";
  std::string sep = "?";
  for (auto [key, value] : {std::pair{"resolution", &o.resolution}, {"from", &o.from}, {"to", &o.to}}) {
    if (value->empty()) continue;
    path += sep + key + "=" + urlEncode(*value);
    sep = "&";
  }
  int status = 0;
  std::string body;
  if (int rc = getFromApi("metrics", o.api, o.token, path, &status, &body); rc != 0) return rc;
  if (status != 200) {
    std::cerr << "sluice metrics: the API answered " << status << ": " << body;
    if (body.empty() || body.back() != '\n') std::cerr << "\n";
    return 1;
  }
  if (o.json) {
    std::fwrite(body.data(), 1, body.size(), stdout);
    return 0;
  }
  Result<std::string> table = formatAppMetricsTable(body, isatty(STDOUT_FILENO) == 1);
  if (!table) {
    std::cerr << "sluice metrics: " << table.error().message << "\n";
    return 1;
  }
  std::fwrite(table->data(), 1, table->size(), stdout);
  return 0;
}

}  // namespace sluice
