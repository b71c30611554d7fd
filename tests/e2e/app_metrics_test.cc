// GET /metrics/app, the sluice_app_* gauges and `sluice metrics` against a running agent whose exec children
// allocate memory and spin a core.
#include <rapidjson/document.h>

#include "tests/e2e/admin_e2e.h"

using namespace sluice;
using namespace sluice::e2e;

namespace {

// 200ms rounds: the figures show up well within a test's patience.
const std::string kMetrics = "metrics:\n  interval: 200ms\n  filesystems: [/]\n";

// A child that holds about 50 MB (a shell variable of 50,000,000 bytes) and spins a core as long as its parent
// lives: the test ends the agent with SIGKILL, which would leave a plain busy loop spinning after it.
const std::string kHog =
    "  - name: hog\n    type: exec\n    command: [\"/bin/sh\", \"-c\", "
    "\"x=$(yes aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa | head -c 50000000); echo ready; "
    "while kill -0 $PPID 2>/dev/null; do :; done\"]\n";

// A child that starts two grandchildren, each holding about 20 MB, and waits. The sleep is not the grandchild's
// last command, so the shell keeps its variable instead of becoming `sleep`.
const std::string kFamily =
    "  - name: family\n    type: exec\n    command: [\"/bin/sh\", \"-c\", "
    "\"for i in 1 2; do /bin/sh -c 'y=$(yes bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb | head -c 20000000); echo held; "
    "sleep 60; echo bye' & done; wait\"]\n";

double appMetric(uint16_t port, const std::string& name, const std::string& source) {
  auto r = httpGet(port, "/metrics");
  if (!r || r->status != 200) return -1;
  return metricValue(r->body, name, {"source=\"" + source + "\""});
}

// The largest value of "<metric>" in an answer of GET /metrics/app; -1 when it has none.
double largest(const rapidjson::Document& doc, const char* metric) {
  double best = -1;
  if (!doc.HasMember(metric) || !doc[metric].IsObject()) return best;
  for (auto it = doc[metric].MemberBegin(); it != doc[metric].MemberEnd(); ++it) {
    if (it->value.IsNumber()) best = std::max(best, it->value.GetDouble());
  }
  return best;
}

}  // namespace

TEST_CASE("an exec child holding 50 MB and spinning a core shows in /metrics/app, /metrics and sluice metrics",
          "[e2e][api][app_metrics]") {
  ApiAgent a(kMetrics, kHog);
  auto& [env, drain, agent, port] = a;
  REQUIRE(waitFor([&] {
    auto r = httpGet(port, "/logs?n=10");
    return r && r->body.find("ready") != std::string::npos;
  }, 60s));
  // Two intervals are 400ms; the deadline is generous for a machine shared by several builds.
  CHECK(waitFor([&] { return appMetric(port, "sluice_app_memory_rss_bytes", "hog") >= 45e6; }, 5s));
  const double rss = appMetric(port, "sluice_app_memory_rss_bytes", "hog");
  CHECK(rss < 400e6);
  CHECK(appMetric(port, "sluice_app_open_fds", "hog") >= 3);  // stdin, stdout and stderr at least
  // CPU: the spinning loop takes a core, less what the other work on the machine leaves it.
  double cpu0 = appMetric(port, "sluice_app_cpu_seconds_total", "hog");
  CHECK(waitFor([&] { return appMetric(port, "sluice_app_cpu_seconds_total", "hog") >= cpu0 + 0.3; }, 10s));
  CHECK(appMetric(port, "sluice_app_memory_rss_bytes", "sluice") > 0);
  auto prom = httpGet(port, "/metrics");
  REQUIRE(prom);
  CHECK(prom->body.find("# TYPE sluice_app_cpu_seconds_total counter") != std::string::npos);
  CHECK(metricValue(prom->body, "sluice_app_filesystem_available_bytes", {"path=\"/\""}) > 0);

  auto r = httpGet(port, "/metrics/app?resolution=1s");
  REQUIRE(r);
  REQUIRE(r->status == 200);
  CHECK(r->header("content-type") == "application/json");
  rapidjson::Document doc;
  doc.Parse(r->body.c_str());
  REQUIRE(doc.IsObject());
  // Two servers (Sluice and hog): the p90 is the larger, hog's.
  CHECK(largest(doc, "memory_rss_bytes.p90") >= 45e6);
  CHECK(largest(doc, "memory_rss_bytes.avg") >= 22e6);
  CHECK(largest(doc, "cpu_percent.p90") >= 20);
  CHECK(largest(doc, "cpu_percent.p90") <= 250);
  CHECK(largest(doc, "filesystem_used_bytes.avg") > 0);

  auto bad = httpGet(port, "/metrics/app?resolution=soon");
  REQUIRE(bad);
  CHECK(bad->status == 400);
  auto before = httpGet(port, "/metrics/app?to=2020-01-01T00:00:00Z");
  REQUIRE(before);
  CHECK(before->status == 416);
  CHECK_FALSE(before->header("sluice-metrics-start").empty());

  AgentProcess table(cliProcess(env, "table", {"metrics", "--resolution", "1m", "--api", "127.0.0.1:" + std::to_string(port)}));
  CHECK(finish(table, 30s) == 0);
  INFO(table.stdoutText() << table.stderrText());
  CHECK(table.stdoutText().rfind("METRIC", 0) == 0);
  CHECK(table.stdoutText().find("memory_rss_bytes") != std::string::npos);
  CHECK(table.stdoutText().find(" MiB") != std::string::npos);
}

TEST_CASE("an exec child's grandchildren are summed into its figures", "[e2e][api][app_metrics]") {
  ApiAgent a(kMetrics, kFamily);
  auto& [env, drain, agent, port] = a;
  REQUIRE(waitFor([&] {
    auto r = httpGet(port, "/logs?n=10");
    return r && splitLines(r->body).size() >= 2;
  }, 60s));
  CHECK(waitFor([&] { return appMetric(port, "sluice_app_processes", "family") >= 3; }, 5s));
  // Each grandchild holds 20 MB; the child itself little.
  CHECK(waitFor([&] { return appMetric(port, "sluice_app_memory_rss_bytes", "family") >= 38e6; }, 5s));
}

TEST_CASE("GET /metrics/app needs the API token as /logs does", "[e2e][api][app_metrics]") {
  ApiAgent a("  token: s3cret\n" + kMetrics);
  auto& [env, drain, agent, port] = a;
  auto denied = httpGet(port, "/metrics/app");
  REQUIRE(denied);
  CHECK(denied->status == 401);
  auto ok = httpGet(port, "/metrics/app", {{"Authorization", "Bearer s3cret"}});
  REQUIRE(ok);
  CHECK(ok->status == 200);
  CHECK(ok->body.find("\"cpu_percent.avg\":") != std::string::npos);
}
