#include "agent/admin/app_metrics_query.h"

#include <cmath>
#include <cstdio>
#include <cstring>
#include <tuple>

#include "agent/core/clock.h"
#include "agent/core/units.h"

namespace sluice {
namespace {

void appendNumber(std::string& out, double v) {
  char buf[48];
  if (v == std::floor(v) && std::fabs(v) < 1e15) {
    snprintf(buf, sizeof buf, "%.0f", v);
  } else {
    snprintf(buf, sizeof buf, "%.3f", v);
    // "12.500" → "12.5": the figures are measurements, not money.
    size_t n = strlen(buf);
    while (n > 0 && buf[n - 1] == '0') buf[--n] = '\0';
    if (n > 0 && buf[n - 1] == '.') buf[--n] = '\0';
  }
  out += buf;
}

AppMetricsAnswer plain(int status, std::string text) {
  return AppMetricsAnswer{status, {{"Content-Type", "text/plain; charset=utf-8"}}, std::move(text) + "\n"};
}

}  // namespace

Result<int64_t> parseAppResolution(std::string_view text) {
  Result<std::chrono::milliseconds> d = parseDuration(text);
  if (!d) return Error{"resolution: " + d.error().message + " (1m, 15m, 1h, ...)"};
  if (d->count() < 1000 || d->count() % 1000 != 0) {
    return Error{"resolution must be whole seconds, at least 1s: 1m, 15m, 1h, ..."};
  }
  return static_cast<int64_t>(d->count()) * 1000;
}

std::string appMetricsJson(const std::vector<AppMetricsRing::Window>& windows) {
  std::string out = "{";
  for (size_t m = 0; m < kAppMetricCount; ++m) {
    for (int which = 0; which < 2; ++which) {
      if (out.size() > 1) out += ",";
      out += "\"";
      out += kAppMetricNames[m];
      out += which == 0 ? ".avg\":{" : ".p90\":{";
      bool first = true;
      for (const AppMetricsRing::Window& w : windows) {
        const double v = which == 0 ? w.avg[m] : w.p90[m];
        if (std::isnan(v)) continue;
        if (!first) out += ",";
        first = false;
        out += "\"" + std::to_string(w.start_s) + "\":";
        appendNumber(out, v);
      }
      out += "}";
    }
  }
  out += "}\n";
  return out;
}

AppMetricsAnswer answerAppMetrics(const AppMetricsRing& ring, const QueryParams& params, int64_t now_us) {
  int64_t resolution = kDefaultAppResolutionUs;
  if (const std::string* r = queryParam(params, "resolution")) {
    Result<int64_t> parsed = parseAppResolution(*r);
    if (!parsed) return plain(400, parsed.error().message);
    resolution = *parsed;
  }
  const std::string* from_text = queryParam(params, "from");
  const std::string* to_text = queryParam(params, "to");
  int64_t from = ring.empty() ? INT64_MIN : ring.oldestUs();
  int64_t to = now_us;
  for (auto [text, slot, name] : {std::tuple{from_text, &from, "from"}, std::tuple{to_text, &to, "to"}}) {
    if (text == nullptr) continue;
    Result<int64_t> t = parseTimestampMicros(*text);
    if (!t) return plain(400, std::string(name) + ": " + t.error().message);
    *slot = *t;
  }
  // `to` is inclusive of a round taken at that very microsecond only when it is the default (now).
  if (to_text == nullptr) to = to == INT64_MAX ? to : to + 1;
  if (from_text != nullptr && to <= from) return plain(400, "to must be later than from");
  AppMetricsAnswer a;
  a.headers = {{"Content-Type", "application/json"}};
  if (!ring.empty()) {
    TimestampFormatter ts;
    const std::string start = ts.format(ring.oldestUs());
    // Before the oldest round kept (`from` left to its default, the oldest round, included).
    if (to <= ring.oldestUs()) {
      AppMetricsAnswer gone = plain(416, "the window is before the metrics kept: they start at " + start);
      gone.headers.push_back({"Sluice-Metrics-Start", start});
      return gone;
    }
    a.headers.push_back({"Sluice-Metrics-Start", start});
    if (from_text != nullptr && from < ring.oldestUs()) a.headers.push_back({"Sluice-Window-Truncated", "true"});
  }
  if (to <= from) return plain(400, "to must be later than from");
  a.body = appMetricsJson(ring.aggregate(from, to, resolution));
  return a;
}

}  // namespace sluice
