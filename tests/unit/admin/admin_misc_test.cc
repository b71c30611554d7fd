#include <catch2/catch.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <vector>

#include "agent/admin/archive_format.h"
#include "agent/admin/log_format.h"
#include "agent/admin/process_stats.h"
#include "agent/admin/prometheus.h"
#include "agent/admin/query_string.h"
#include "agent/app/agent_config.h"
#include "tests/support/records.h"

using namespace sluice;

TEST_CASE("Prometheus text groups samples under one HELP and TYPE per family and escapes labels", "[admin]") {
  PrometheusText p;
  p.family("a_total", "counter", "A things.");
  p.sample("a_total", "", {{"k", "x\"y\\z\n"}}, 3);
  p.sample("b", "", {}, 1.5);
  p.sample("a_total", "", {{"k", "2"}}, 4);
  const double bounds[] = {0.1, 1};
  const uint64_t counts[] = {1, 2, 3};
  p.family("h_seconds", "histogram", "H.");
  p.histogram("h_seconds", {{"c", "d"}}, bounds, 2, counts, 4.5, 6);
  CHECK(p.render() ==
        "# HELP a_total A things.\n# TYPE a_total counter\n"
        "a_total{k=\"x\\\"y\\\\z\\n\"} 3\na_total{k=\"2\"} 4\n"
        "# HELP b \n# TYPE b untyped\nb 1.5\n"
        "# HELP h_seconds H.\n# TYPE h_seconds histogram\n"
        "h_seconds_bucket{c=\"d\",le=\"0.1\"} 1\nh_seconds_bucket{c=\"d\",le=\"1\"} 3\n"
        "h_seconds_bucket{c=\"d\",le=\"+Inf\"} 6\nh_seconds_sum{c=\"d\"} 4.5\nh_seconds_count{c=\"d\"} 6\n");
}

TEST_CASE("archive records round-trip, and partitions are named by the hour received", "[admin]") {
  SourceInfo s{7, "web-1", "exec"};
  Record r = recordOf(s, "hello\nthere", 1585479662120000);
  r.event_us = 17;
  r.severity = Severity::Error;
  r.preformatted = true;
  ByteBuffer b;
  encodeArchiveRecord(r, {"web-1", "exec", ""}, b);
  encodeArchiveRecord(r, {"x", "y", ""}, b);
  LogLine l;
  size_t used = 0;
  REQUIRE(decodeArchiveRecord(b.view(), &l, &used) == ArchiveDecode::Ok);
  CHECK(l.message == "hello\nthere");
  CHECK(l.source == "web-1");
  CHECK(l.type == "exec");
  CHECK(l.received_us == r.received_us);
  CHECK(l.event_us == 17);
  CHECK(l.severity == Severity::Error);
  CHECK(l.preformatted);
  CHECK(decodeArchiveRecord(b.view().substr(used, 10), &l, &used) == ArchiveDecode::NeedMore);
  std::string junk(40, '\xff');
  CHECK(decodeArchiveRecord(junk, &l, &used) == ArchiveDecode::Corrupt);
  int64_t hour = archiveHourOf(r.received_us);
  CHECK(archivePartitionName(hour) == "2020-03-29T11.log");
  CHECK(archivePartitionHour("2020-03-29T11.log") == hour);
  CHECK(archivePartitionHour("notes.txt") == -1);
  // A date that does not exist is not another hour's partition (found by fuzzing).
  CHECK(archivePartitionHour("2026-11-31T10.log") == -1);
  CHECK(archivePartitionHour("2025-02-29T00.log") == -1);
  CHECK(archivePartitionHour("2024-02-29T00.log") == archiveHourOf(1709164800000000LL));
}

TEST_CASE("query strings are decoded and encoded", "[admin]") {
  auto q = parseQueryString("n=10&filter=web%7Cworker&stream&x=a+b");
  CHECK(*queryParam(q, "n") == "10");
  CHECK(*queryParam(q, "filter") == "web|worker");
  CHECK(queryParam(q, "stream")->empty());
  CHECK(*queryParam(q, "x") == "a b");
  CHECK(queryParam(q, "missing") == nullptr);
  CHECK(urlEncode("2020-03-29T11:01:02.12+01:00 a|b") == "2020-03-29T11%3A01%3A02.12%2B01%3A00%20a%7Cb");
}

TEST_CASE("the api: section has its defaults and checks its keys", "[config]") {
  PluginRegistry registry = PluginRegistry::withBuiltins();
  const std::string base = "sources:\n  - {name: app, type: stdin}\nsinks:\n  - {name: out, type: stdout}\n";
  ConfigErrors errors;
  auto c = loadConfigText(base, "t.yaml", registry, errors);
  REQUIRE(c);
  CHECK(c->api.listen == "127.0.0.1:8089");
  CHECK_FALSE(c->api.listen_set);
  CHECK(c->api.recent_lines == 10000);
  CHECK_FALSE(c->api.archive);
  CHECK(c->api.retention_time == std::chrono::hours(24 * 7));
  CHECK(c->api.retention_bytes == (1ULL << 30));
  CHECK(c->api.keepalive == std::chrono::seconds(25));
  auto on = loadConfigText("api:\n  listen: \"\"\n  archive: true\n  retention: {time: 1d, bytes: 10MiB}\n" + base,
                           "t.yaml", registry, errors);
  REQUIRE(on);
  CHECK(on->api.listen.empty());
  CHECK(on->api.listen_set);
  CHECK(on->api.archive);
  CHECK(on->api.retention_bytes == 10u << 20);
  ConfigErrors bad;
  CHECK_FALSE(loadConfigText("api:\n  recent_line: 5\n  listen: nowhere\n" + base, "t.yaml", registry, bad));
  CHECK(bad.joined().find("t.yaml:2:3: unknown key 'recent_line' (did you mean 'recent_lines'?)") != std::string::npos);
  CHECK(bad.joined().find("listen: 'nowhere' is not HOST:PORT (no port") != std::string::npos);
  ConfigErrors src;
  CHECK_FALSE(loadConfigText("sources:\n  - {name: in, type: logplex}\nsinks:\n  - {name: out, type: stdout}\n", "t.yaml",
                             registry, src));
  CHECK(src.joined().find("missing required key 'tokens'") != std::string::npos);
}

TEST_CASE("format clf writes access-log lines back as they were and leaves other lines out", "[admin]") {
  LineFormatter f("host");
  std::string out;
  LogLine line;
  line.source = "web";
  line.type = "stdin";
  line.message = "203.0.113.7 - - [06/Feb/2020:07:59:22 +0100] \"GET /index.html HTTP/1.1\" 200 1453";
  f.append(line, LogFormat::Clf, out);
  line.message = "not an access log line";
  f.append(line, LogFormat::Clf, out);
  // A frame relayed by the logplex input: its MSG is the access-log line.
  line.preformatted = true;
  line.message = "<190>1 2020-02-06T06:59:23.000000Z h app web - - 10.0.0.1 - bob [06/Feb/2020:07:59:23 +0100] "
                 "\"POST /x HTTP/1.1\" 201 - \"-\" \"curl/8\"";
  f.append(line, LogFormat::Clf, out);
  CHECK(out ==
        "203.0.113.7 - - [06/Feb/2020:07:59:22 +0100] \"GET /index.html HTTP/1.1\" 200 1453\n"
        "10.0.0.1 - bob [06/Feb/2020:07:59:23 +0100] \"POST /x HTTP/1.1\" 201 - \"-\" \"curl/8\"\n");
}

TEST_CASE("the open descriptors of the agent are counted exactly, ten more after ten opens", "[admin]") {
  const uint64_t before = countOpenFds("/proc/self/fd", true);
  std::vector<int> fds;
  for (int i = 0; i < 10; ++i) fds.push_back(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  CHECK(countOpenFds("/proc/self/fd", true) == before + 10);
  CHECK(readProcessStats().open_fds == before + 10);
  for (int fd : fds) ::close(fd);
  CHECK(countOpenFds("/proc/self/fd", true) == before);
}
