// GET /metrics/app's pieces: the /proc and cgroup parsers on a fake tree, the fixed ring and its aggregation
// (hand-computed averages and 90th percentiles), the query's windows and bounds, and `sluice metrics`' table.
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cmath>
#include <filesystem>

#include "agent/admin/app_metrics_proc.h"
#include "agent/admin/app_metrics_query.h"
#include "agent/admin/app_metrics_ring.h"
#include "agent/admin/app_metrics_sampler.h"
#include "agent/app/agent_config.h"
#include "agent/app/metrics_command.h"
#include "tests/support/files.h"
#include "tests/support/temp_dir.h"

using namespace sluice;

namespace {

constexpr int64_t kSecond = 1000000;
// 2026-11-21T10:00:00Z
constexpr int64_t kT0 = 1795255200LL * kSecond;

std::string statLine(int64_t pid, const std::string& comm, int64_t ppid, uint64_t utime, uint64_t stime,
                     uint64_t rss_pages) {
  // pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime cutime cstime
  // priority nice threads itrealvalue starttime vsize rss ...
  return std::to_string(pid) + " (" + comm + ") S " + std::to_string(ppid) + " 1 1 0 -1 4194304 10 0 0 0 " +
         std::to_string(utime) + " " + std::to_string(stime) + " 0 0 20 0 1 0 12345 1000000 " +
         std::to_string(rss_pages) + " 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0\n";
}

void fakeProcess(const TempDir& dir, int64_t pid, int64_t ppid, uint64_t utime, uint64_t rss_pages, int fds,
                 uint64_t read_bytes = 0, uint64_t write_bytes = 0) {
  const std::string p = dir.path() + "/" + std::to_string(pid);
  std::filesystem::create_directories(p + "/fd");
  writeFile(p + "/stat", statLine(pid, "app) (x", ppid, utime, 0, rss_pages));
  writeFile(p + "/io", "rchar: 1\nwchar: 2\nsyscr: 3\nsyscw: 4\nread_bytes: " + std::to_string(read_bytes) +
                           "\nwrite_bytes: " + std::to_string(write_bytes) + "\ncancelled_write_bytes: 0\n");
  for (int i = 0; i < fds; ++i) writeFile(p + "/fd/" + std::to_string(i), "");
}

AppServerValues server(const std::string& key, double cpu, double rss) {
  AppServerValues s{key, noAppMetricValues()};
  s.values[kCpuPercent] = cpu;
  s.values[kMemoryRssBytes] = rss;
  return s;
}

QueryParams params(std::initializer_list<std::pair<std::string, std::string>> p) { return QueryParams(p); }

}  // namespace

TEST_CASE("parseProcStat reads ppid, cpu ticks and rss after a command name holding spaces and parentheses",
          "[admin][app_metrics]") {
  auto s = parseProcStat(statLine(4242, "my (odd) prog", 17, 250, 50, 1000));
  REQUIRE(s);
  CHECK(s->pid == 4242);
  CHECK(s->ppid == 17);
  CHECK(s->utime_ticks == 250);
  CHECK(s->stime_ticks == 50);
  CHECK(s->rss_pages == 1000);
  CHECK_FALSE(parseProcStat("4242 (x) S 17 1 1"));  // cut short
  CHECK_FALSE(parseProcStat("garbage"));
  CHECK_FALSE(parseProcStat("12 (x) S notanumber 1 1 0 -1 4194304 10 0 0 0 1 1 0 0 20 0 1 0 1 1 1"));
}

TEST_CASE("cgroup v2 files: cpu.stat usage_usec, io.stat summed over devices, memory.current", "[admin][app_metrics]") {
  CHECK(parseCgroupCpuUsageUsec("usage_usec 1500000\nuser_usec 1000000\nsystem_usec 500000\n") == 1500000u);
  CHECK_FALSE(parseCgroupCpuUsageUsec("user_usec 1\n"));
  IoBytes io = parseCgroupIoStat("8:0 rbytes=1000 wbytes=2000 rios=1 wios=2 dbytes=0 dios=0\n"
                                 "259:0 rbytes=24 wbytes=76 rios=1 wios=1 dbytes=0 dios=0\n");
  CHECK(io.read == 1024);
  CHECK(io.written == 2076);
  CHECK(parseUnsigned("52428800\n") == 52428800u);
  CHECK_FALSE(parseUnsigned("max\n"));

  TempDir dir;
  writeFile(dir.file("cpu.stat"), "usage_usec 2500000\n");
  writeFile(dir.file("memory.current"), "1048576\n");
  writeFile(dir.file("io.stat"), "8:0 rbytes=5 wbytes=7 rios=1 wios=1\n");
  auto c = readCgroup(dir.path());
  REQUIRE(c);
  CHECK(c->cpu_seconds == Approx(2.5));
  CHECK(c->memory_bytes == 1048576u);
  CHECK(c->read_bytes == 5);
  CHECK_FALSE(readCgroup(dir.file("missing")));
}

TEST_CASE("a process tree is its root and every descendant, found from the ppids of one /proc scan",
          "[admin][app_metrics]") {
  TempDir proc;
  const long page = sysconf(_SC_PAGESIZE);
  const long ticks = sysconf(_SC_CLK_TCK);
  fakeProcess(proc, 100, 1, 100, 10, 3, 1000, 10);  // the exec child
  fakeProcess(proc, 101, 100, 200, 20, 2, 2000, 20);  // its child
  fakeProcess(proc, 102, 101, 300, 30, 1, 3000, 30);  // a grandchild
  fakeProcess(proc, 200, 1, 999, 999, 9);           // not in the tree
  ProcTable table(proc.path());
  table.scan();
  std::vector<int64_t> tree = table.tree(100);
  std::sort(tree.begin(), tree.end());
  CHECK(tree == std::vector<int64_t>{100, 101, 102});
  Usage u = table.treeUsage(100);
  CHECK(u.processes == 3);
  CHECK(u.cpu_seconds == Approx(600.0 / static_cast<double>(ticks)));
  CHECK(u.memory_bytes == 60u * static_cast<uint64_t>(page));
  CHECK(u.open_fds == 6);
  CHECK(u.read_bytes == 6000);
  CHECK(u.write_bytes == 60);
  CHECK(table.treeUsage(555).processes == 0);  // gone
}

TEST_CASE("the sampler turns cumulative CPU and disk into rates between rounds of the same process",
          "[admin][app_metrics]") {
  TempDir proc;
  const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  fakeProcess(proc, 100, 1, 0, 10, 1, 0, 0);
  AppMetricsSampler sampler(proc.path());
  std::vector<AppMetricsTarget> targets{{AppMetricsTarget::Kind::Exec, "web", 100, ""}};
  auto first = sampler.sample(kT0, targets);
  REQUIRE(first.size() == 1);
  CHECK(first[0].key == "exec:web");
  CHECK(std::isnan(first[0].values[kCpuPercent]));  // no rate from one round
  CHECK(first[0].values[kOpenFds] == 1);
  // Two seconds later: one CPU-second more (50%), 4,000 bytes read (2,000/s).
  fakeProcess(proc, 100, 1, static_cast<uint64_t>(ticks), 10, 1, 4000, 0);
  auto second = sampler.sample(kT0 + 2 * kSecond, targets);
  REQUIRE(second.size() == 1);
  CHECK(second[0].values[kCpuPercent] == Approx(50.0));
  CHECK(second[0].values[kDiskReadBytesPerSecond] == Approx(2000.0));
  CHECK(second[0].values[kDiskWriteBytesPerSecond] == 0);
  REQUIRE(sampler.totals().size() == 1);
  CHECK(sampler.totals()[0].usage.cpu_seconds == Approx(1.0));
  // A child that went away is no server of the round.
  std::filesystem::remove_all(proc.file("100"));
  CHECK(sampler.sample(kT0 + 4 * kSecond, targets).empty());
}

TEST_CASE("avg and p90 across servers: each server's mean over the window, then across them (nearest rank)",
          "[admin][app_metrics]") {
  std::vector<double> ten{10, 1, 9, 2, 8, 3, 7, 4, 6, 5};
  CHECK(percentile90(ten) == 9);  // ceil(0.9 * 10) = 9th smallest
  std::vector<double> five{5, 1, 4, 2, 3};
  CHECK(percentile90(five) == 5);  // ceil(4.5) = 5th
  std::vector<double> one{42};
  CHECK(percentile90(one) == 42);

  AppMetricsRing ring(100);
  // Window [10:00, 10:01): three exec sources and Sluice. Each server's two rounds average to its figure.
  ring.add(kT0 + 10 * kSecond, {server("exec:a", 10, 100), server("exec:b", 20, 200), server("exec:c", 30, 300),
                                server("sluice", 1, 50)});
  ring.add(kT0 + 40 * kSecond, {server("exec:a", 30, 300), server("exec:b", 40, 400), server("exec:c", 50, 500),
                                server("sluice", 3, 150)});
  // Window [10:01, 10:02): b is gone.
  ring.add(kT0 + 70 * kSecond, {server("exec:a", 100, 1000), server("exec:c", 0, 2000), server("sluice", 2, 100)});
  auto w = ring.aggregate(INT64_MIN, INT64_MAX, 60 * kSecond);
  REQUIRE(w.size() == 2);
  CHECK(w[0].start_s == kT0 / kSecond);
  // Means per server: a 20, b 30, c 40, sluice 2 → avg 23, p90 (4 values: the 4th) 40.
  CHECK(w[0].avg[kCpuPercent] == Approx(23.0));
  CHECK(w[0].p90[kCpuPercent] == Approx(40.0));
  // rss: a 200, b 300, c 400, sluice 100 → avg 250, p90 400.
  CHECK(w[0].avg[kMemoryRssBytes] == Approx(250.0));
  CHECK(w[0].p90[kMemoryRssBytes] == Approx(400.0));
  CHECK(std::isnan(w[0].avg[kOpenFds]));  // nobody had it
  CHECK(w[1].start_s == kT0 / kSecond + 60);
  CHECK(w[1].avg[kCpuPercent] == Approx(34.0));  // (100 + 0 + 2) / 3
  CHECK(w[1].p90[kCpuPercent] == Approx(100.0));
  CHECK(w[1].avg[kMemoryRssBytes] == Approx(3100.0 / 3));
}

TEST_CASE("resolution buckets are aligned on the epoch and from/to bound the rounds exactly", "[admin][app_metrics]") {
  AppMetricsRing ring(1000);
  for (int i = 0; i < 30; ++i) ring.add(kT0 + i * 10 * kSecond, {server("sluice", i, 1000)});  // 10:00:00 .. 10:04:50
  // 1m: five windows of six rounds.
  AppMetricsAnswer a = answerAppMetrics(ring, params({{"resolution", "1m"}}), kT0 + 300 * kSecond);
  REQUIRE(a.status == 200);
  const std::string t0 = std::to_string(kT0 / kSecond);
  CHECK(a.body.find("\"cpu_percent.avg\":{\"" + t0 + "\":2.5,\"" + std::to_string(kT0 / kSecond + 60) + "\":8.5,") !=
        std::string::npos);
  // from is inclusive, to exclusive: [10:00:20, 10:00:40) holds the rounds 2 and 3 only.
  a = answerAppMetrics(ring, params({{"resolution", "15m"}, {"from", "2026-11-21T10:00:20Z"}, {"to", "2026-11-21T10:00:40Z"}}),
                       kT0 + 300 * kSecond);
  REQUIRE(a.status == 200);
  CHECK(a.body.find("\"cpu_percent.avg\":{\"" + t0 + "\":2.5}") != std::string::npos);
  CHECK(a.body.find("\"cpu_percent.p90\":{\"" + t0 + "\":2.5}") != std::string::npos);
  CHECK(a.body.find("\"memory_rss_bytes.avg\":{\"" + t0 + "\":1000}") != std::string::npos);
  CHECK(a.body.find("\"open_fds.avg\":{}") != std::string::npos);
  for (std::string_view name : kAppMetricNames) {
    CHECK(a.body.find("\"" + std::string(name) + ".avg\":") != std::string::npos);
    CHECK(a.body.find("\"" + std::string(name) + ".p90\":") != std::string::npos);
  }
  // 1h: one window from the oldest round to now.
  a = answerAppMetrics(ring, params({{"resolution", "1h"}}), kT0 + 290 * kSecond);
  CHECK(a.body.find("\"cpu_percent.avg\":{\"" + t0 + "\":14.5}") != std::string::npos);
}

TEST_CASE("a window before the kept metrics is 416 with where they start, and bad parameters are 400",
          "[admin][app_metrics]") {
  AppMetricsRing ring(10);
  ring.add(kT0, {server("sluice", 1, 1)});
  AppMetricsAnswer a = answerAppMetrics(ring, params({{"to", "2026-11-21T09:00:00Z"}}), kT0 + kSecond);
  CHECK(a.status == 416);
  bool has_start = false;
  for (const auto& h : a.headers) has_start |= h.name == "Sluice-Metrics-Start" && h.value == "2026-11-21T10:00:00.000000Z";
  CHECK(has_start);
  a = answerAppMetrics(ring, params({{"from", "2026-11-21T09:00:00Z"}}), kT0 + kSecond);
  CHECK(a.status == 200);
  bool truncated = false;
  for (const auto& h : a.headers) truncated |= h.name == "Sluice-Window-Truncated";
  CHECK(truncated);
  CHECK(answerAppMetrics(ring, params({{"resolution", "500ms"}}), kT0).status == 400);
  CHECK(answerAppMetrics(ring, params({{"resolution", "fast"}}), kT0).status == 400);
  CHECK(answerAppMetrics(ring, params({{"from", "yesterday"}}), kT0).status == 400);
  CHECK(answerAppMetrics(ring, params({{"from", "2026-11-21T11:00:00Z"}, {"to", "2026-11-21T10:00:00Z"}}), kT0).status ==
        400);
  CHECK(parseAppResolution("1m").value() == 60 * kSecond);
  CHECK(parseAppResolution("15m").value() == 900 * kSecond);
  CHECK(parseAppResolution("1h").value() == 3600 * kSecond);
}

TEST_CASE("the ring holds a column per server seen, and its memory stays the same after 6 simulated hours",
          "[admin][app_metrics]") {
  const int64_t interval = 10 * kSecond;
  AppMetricsRing ring(AppMetricsRing::roundsFor(6 * 3600 * kSecond, interval));
  CHECK(ring.capacity() == 2160);
  const size_t empty = ring.memoryBytes();
  CHECK(empty < 32 * 1024);  // the times: no column until a server is seen
  const size_t column = 2160 * kAppMetricCount * sizeof(float);
  int64_t t = kT0;
  ring.add(t, {server("sluice", 1, 1)});
  t += interval;
  CHECK(ring.memoryBytes() == empty + column);  // an agent watching only itself: one column, about 59 KiB
  ring.add(t, {server("sluice", 1, 1), server("exec:web-0", 50, 5e7), server("exec:worker-0", 10, 1e6)});
  t += interval;
  const size_t bytes = ring.memoryBytes();
  CHECK(bytes == empty + 3 * column);
  // 8 hours, with exec sources coming and going (a reload every hour renames them): sluice and the two servers
  // of each of 7 hours are kept at once (a server's place is free 6 hours after its last round), and from then on
  // an expired server's column is reused, so no more are allocated.
  for (int i = 2; i < 8 * 360; ++i, t += interval) {
    const int hour = i / 360;
    ring.add(t, {server("sluice", 1, 1), server("exec:web-" + std::to_string(hour), 50, 5e7),
                 server("exec:worker-" + std::to_string(hour), 10, 1e6)});
    if (hour == 7 && i % 360 == 0) CHECK(ring.memoryBytes() == empty + 15 * column);
  }
  CHECK(ring.memoryBytes() == empty + 15 * column);
  CHECK(ring.memoryBytes() <= empty + AppMetricsRing::kMaxServers * column);  // the README's bound, 0.95 MiB
  CHECK(ring.size() == ring.capacity());
  CHECK(ring.newestUs() == t - interval);
  CHECK(ring.oldestUs() == t - interval * 2160);  // exactly the last 6 hours
  auto windows = ring.aggregate(INT64_MIN, INT64_MAX, 3600 * kSecond);
  CHECK(windows.size() == 6);
  CHECK(windows.back().avg[kCpuPercent] == Approx((1 + 50 + 10) / 3.0));
  CHECK(AppMetricsRing::roundsFor(6 * 3600 * kSecond, 200000) == AppMetricsRing::kMaxRounds);
}

TEST_CASE("a server's column that is reused holds none of the old server's values", "[admin][app_metrics]") {
  AppMetricsRing ring(4);
  int64_t t = kT0;
  ring.add(t, {server("old", 90, 1)});
  t += 10 * kSecond;
  // Four rounds without "old": its place is free again, and "new" takes it.
  for (int i = 0; i < 4; ++i, t += 10 * kSecond) ring.add(t, {server("sluice", 1, 1)});
  const size_t bytes = ring.memoryBytes();
  ring.add(t, {server("sluice", 1, 1), server("new", 5, 1)});
  CHECK(ring.memoryBytes() == bytes);
  auto windows = ring.aggregate(INT64_MIN, INT64_MAX, 3600 * kSecond);
  REQUIRE(windows.size() == 1);
  // sluice's mean 1 and new's 5, never old's 90.
  CHECK(windows[0].avg[kCpuPercent] == Approx(3.0));
}

TEST_CASE("more servers than the ring has places are left out and counted", "[admin][app_metrics]") {
  AppMetricsRing ring(4);
  std::vector<AppServerValues> many;
  for (size_t i = 0; i < AppMetricsRing::kMaxServers + 3; ++i) many.push_back(server("exec:" + std::to_string(i), 1, 1));
  CHECK(ring.add(kT0, many) == 3);
  CHECK(ring.add(kT0 + kSecond, many) == 3);
}

TEST_CASE("sluice metrics prints a row per metric with the last window and the range of averages",
          "[admin][app_metrics]") {
  auto table = formatAppMetricsTable(
      "{\"cpu_percent.avg\":{\"120\":30,\"60\":10},\"cpu_percent.p90\":{\"60\":12,\"120\":35},"
      "\"memory_rss_bytes.avg\":{\"60\":52428800},\"memory_rss_bytes.p90\":{\"60\":52428800},"
      "\"open_fds.avg\":{},\"open_fds.p90\":{}}",
      true);
  REQUIRE(table);
  INFO(*table);
  CHECK(table->find("METRIC") == 0);
  auto pad = [](std::string v, size_t n) { return v + std::string(n - v.size(), ' '); };
  CHECK(table->find(pad("cpu_percent", 30) + pad("2", 9) + pad("30", 14) + pad("35", 14) + pad("10", 14) +
                    pad("30", 14) + "\u2581\u2588\n") != std::string::npos);
  CHECK(table->find("50.0 MiB") != std::string::npos);
  CHECK(table->find(pad("open_fds", 30) + pad("0", 9) + "-\n") != std::string::npos);
  CHECK_FALSE(formatAppMetricsTable("[1]", false));
}

TEST_CASE("the metrics: section sets the interval, cgroups and filesystems, and bad values are errors",
          "[admin][app_metrics][config]") {
  const std::string base = "sources:\n  - name: app\n    type: stdin\nsinks:\n  - name: out\n    type: stdout\n";
  ConfigErrors errors;
  auto config = loadConfigText(base + "metrics:\n  interval: 2s\n  cgroups: [/sys/fs/cgroup/system.slice/myapp.service]\n"
                                      "  filesystems: [/, /var]\n",
                               "m.yaml", PluginRegistry::withBuiltins(), errors);
  INFO(errors.joined());
  REQUIRE(config);
  CHECK(config->api.metrics.interval == std::chrono::seconds(2));
  CHECK(config->api.metrics.cgroups == std::vector<std::string>{"/sys/fs/cgroup/system.slice/myapp.service"});
  CHECK(config->api.metrics.filesystems == std::vector<std::string>{"/", "/var"});
  ConfigErrors defaults_errors;
  auto defaults = loadConfigText(base, "d.yaml", PluginRegistry::withBuiltins(), defaults_errors);
  REQUIRE(defaults);
  CHECK(defaults->api.metrics.interval == std::chrono::seconds(10));
  ConfigErrors bad;
  CHECK_FALSE(loadConfigText(base + "metrics:\n  interval: 10ms\n  filesystems: [var]\n  intervall: 1s\n", "b.yaml",
                             PluginRegistry::withBuiltins(), bad));
  const std::string text = bad.joined();
  CHECK(text.find("interval must be between 100ms and 1h") != std::string::npos);
  CHECK(text.find("filesystems: 'var' must be an absolute path") != std::string::npos);
  CHECK(text.find("did you mean 'interval'") != std::string::npos);
  ConfigErrors top;
  CHECK_FALSE(loadConfigText(base + "metric:\n  interval: 1s\n", "t.yaml", PluginRegistry::withBuiltins(), top));
  CHECK(top.joined().find("did you mean 'metrics'") != std::string::npos);
}
