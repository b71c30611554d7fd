// The kafka source with the real binary: kcat produces into the test cluster, Sluice consumes into the HTTPS test
// drain. Exact counts: every record once, the group's offsets committed to the end; formats; a consumer killed -9
// in a group of two; a drain that stalls (paused partitions); a restart.
#include <filesystem>
#include <map>
#include <thread>

#include "tests/e2e/admin_e2e.h"
#include "tests/e2e/kafka_e2e.h"
#include "tests/support/kafka_group.h"

using namespace sluice;
using namespace sluice::e2e;

namespace {

constexpr int kPartitions = 4;

// A member that is gone without leaving (kill -9, or a stop before its first assignment) is noticed within 6 s,
// not the default 45 s.
const std::string kGroupTiming =
    "    librdkafka:\n      session.timeout.ms: '6000'\n      heartbeat.interval.ms: '500'\n";

// With the drain's delay, a sink that holds little and sends little at once, so that a stop is mid-stream.
const std::string kSlowSink =
    "    batch: {max_messages: 500, max_bytes: 32KiB}\n    buffer: {memory: 128KiB}\n    max_in_flight: 2\n";

// A cluster with one topic of kPartitions partitions, and a drain.
struct KafkaRig {
  Env env;
  KafkaCluster cluster{1};
  std::string topic = uniqueTopic("source");
  std::string group = topic + "-group";
  std::string group_timing = kGroupTiming;
  TestDrain drain{env.drainOptions()};

  KafkaRig() {
    requireStarted(cluster);
    mockCommand(cluster, "create-topic " + topic + " " + std::to_string(kPartitions) + " 1");
  }

  std::string sources(const std::string& extra = "") const {
    return "  - name: bus\n    type: kafka\n    brokers: [" + cluster.bootstrap() + "]\n    topics: [" + topic +
           "]\n    group_id: " + group + "\n" + group_timing + extra;
  }

  // The config (admin API on), written as `file`.
  std::string config(const std::string& source_extra = "", const std::string& sink_extra = "",
                     const std::string& file = "sluice.yaml") const {
    std::string yaml = "agent:\n  hostname: test-host\n  state_dir: " + env.dir.path() + "/state-" + file +
                       "\n  shutdown_timeout: 20s\napi:\n  listen: 127.0.0.1:0\nsources:\n" + sources(source_extra) +
                       "sinks:\n  - name: drain\n    type: logplex_https\n    url: " + drain.url() +
                       "\n    tls:\n      ca_file: " + env.certs.ca_cert +
                       "\n    retry:\n      initial: 50ms\n      max: 500ms\n" + sink_extra;
    return env.writeFile(file, yaml);
  }

  void produce(const std::string& lines) {
    KcatRun run = produceLines(cluster.bootstrap(), topic, lines, 120s);
    INFO("kcat: " << run.err.substr(0, 2000));
    REQUIRE(run.ok());
  }

  // A member of the group, its config written as NAME.yaml and its stdout and stderr in a directory of its own
  // (two agents writing one stderr.txt would overwrite each other's lines).
  AgentProcess::Options member(const std::string& name, const std::string& source_extra,
                               const std::string& sink_extra) const {
    AgentProcess::Options o = env.agent({"--config", config(source_extra, sink_extra, name + ".yaml")});
    o.dir = env.dir.path() + "/" + name;
    std::filesystem::create_directories(o.dir);
    return o;
  }

  GroupOffsets offsets() const { return readGroupOffsets(cluster.bootstrap(), group, topic, kPartitions); }

  // Waits until the group committed every partition to its end.
  bool waitCommitted(std::chrono::milliseconds deadline = 60s) const {
    return waitFor([&] { return offsets().allCommitted(); }, deadline);
  }
};

// How often each MSG arrived at the drain.
std::map<std::string, int> bodyCounts(const TestDrain& drain) {
  std::map<std::string, int> seen;
  for (const std::string& m : drain.messages()) ++seen[std::string(syslogBody(m))];
  return seen;
}

struct Tally {
  size_t missing = 0;
  size_t duplicates = 0;
  size_t unexpected = 0;
};

Tally tally(const std::map<std::string, int>& seen, size_t first, size_t count, size_t width = 0) {
  Tally t;
  const std::vector<std::string> want = splitLines(numberedLines(first, count, width, "rec"));
  std::set<std::string> wanted(want.begin(), want.end());
  for (const std::string& w : want) {
    auto it = seen.find(w);
    if (it == seen.end()) ++t.missing;
  }
  for (const auto& [body, n] : seen) {
    if (wanted.count(body) == 0) ++t.unexpected;
    t.duplicates += static_cast<size_t>(n - 1);
  }
  return t;
}

}  // namespace

TEST_CASE("kafka source: 100,000 records produced by kcat reach the drain exactly once and are committed",
          "[e2e][kafka]") {
  KafkaRig rig;
  rig.produce(numberedLines(0, 100000, 0, "rec"));
  AgentProcess agent(rig.env.agent({"--config", rig.config("    format: raw\n", "    batch: {max_messages: 1000}\n")}));
  REQUIRE(rig.drain.waitForMessages(100000, 180s));
  CHECK(rig.waitCommitted());
  GroupOffsets o = rig.offsets();
  INFO("committed " << o.committedTotal() << " of " << o.endTotal() << " " << o.error);
  CHECK(o.committedTotal() == 100000);
  CHECK(terminateAndFinish(agent) == 0);
  Tally t = tally(bodyCounts(rig.drain), 0, 100000);
  CHECK(t.missing == 0);
  CHECK(t.duplicates == 0);
  CHECK(t.unexpected == 0);
  CHECK(rig.drain.messageCount() == 100000);
  // Framed like a line of stdin, with the partition as {source}.
  const std::string first = rig.drain.messages().front();
  INFO(first);
  CHECK(first.find(" " + rig.topic + "/") != std::string::npos);
}

TEST_CASE("kafka source: rfc5424 passes messages through, raw frames them, auto does both", "[e2e][kafka]") {
  const std::string syslog = "<165>1 2026-01-02T03:04:05.000006Z origin-host origin-app web.1 - - hello kafka";
  const std::string plain = "a plain line";
  struct Case {
    const char* format;
    bool syslog_as_is;   // the RFC 5424 record arrives unchanged
  };
  for (const Case c : {Case{"rfc5424", true}, Case{"raw", false}, Case{"auto", true}}) {
    DYNAMIC_SECTION("format " << c.format) {
      KafkaRig rig;
      rig.produce(syslog + "\n" + plain + "\n");
      AgentProcess agent(rig.env.agent({"--config", rig.config(std::string("    format: ") + c.format + "\n")}));
      REQUIRE(rig.drain.waitForMessages(2, 60s));
      CHECK(terminateAndFinish(agent) == 0);
      std::vector<std::string> got = rig.drain.messages();
      REQUIRE(got.size() == 2);
      size_t as_is = 0;
      size_t framed_syslog = 0;
      size_t framed_plain = 0;
      for (const std::string& m : got) {
        if (m == syslog) {
          ++as_is;
          continue;
        }
        // Framed under Sluice's own header, the partition as PROCID ({source}).
        INFO(m);
        CHECK(m.find(" test-host ") != std::string::npos);
        CHECK(m.find(" " + rig.topic + "/") != std::string::npos);
        framed_syslog += syslogBody(m) == syslog ? 1 : 0;
        framed_plain += syslogBody(m) == plain ? 1 : 0;
      }
      CHECK(as_is == (c.syslog_as_is ? 1u : 0u));
      CHECK(framed_syslog == (c.syslog_as_is ? 0u : 1u));
      CHECK(framed_plain == 1);  // in every format (counted as not RFC 5424 under format rfc5424)
      if (std::string(c.format) == "rfc5424") CHECK(agent.stderrText().find("not an RFC 5424 message") != std::string::npos);
    }
  }
}

TEST_CASE("kafka source: two consumers in one group, one killed -9: the other takes its partitions, nothing lost",
          "[e2e][kafka]") {
  KafkaRig rig;
  const size_t kRecords = 100000;
  rig.produce(numberedLines(0, kRecords, 0, "rec"));
  rig.drain.setDelay(50ms);  // about 20,000 records a second: mid-stream for long enough
  const std::string raw_format = "    format: raw\n";
  const std::string batch = kSlowSink;
  AgentProcess a(rig.member("a", raw_format, batch));
  AgentProcess b(rig.member("b", raw_format, batch));
  // Both consume (each got partitions) before one goes.
  REQUIRE(waitFor([&] { return a.stderrText().find("partitions assigned") != std::string::npos &&
                               b.stderrText().find("partitions assigned") != std::string::npos; }, 60s));
  REQUIRE(rig.drain.waitForMessages(kRecords / 5, 120s));
  const GroupOffsets before = rig.offsets();
  killNine(a);
  const size_t delivered_at_kill = rig.drain.messageCount();
  rig.drain.setDelay(0ms);
  REQUIRE(waitFor([&] { return tally(bodyCounts(rig.drain), 0, kRecords).missing == 0; }, 180s));
  CHECK(rig.waitCommitted());
  CHECK(terminateAndFinish(b) == 0);
  Tally t = tally(bodyCounts(rig.drain), 0, kRecords);
  // What A delivered beyond the group's committed offsets at most is read again: the uncommitted window. The drain
  // counts a batch when it answers (50 ms after it came), so A's batches in flight at the kill (max_in_flight 2 x
  // 500 messages) may be counted after delivered_at_kill was read: they belong to the window too.
  const int64_t kInFlightAtKill = 2 * 500;
  const int64_t window = static_cast<int64_t>(delivered_at_kill) - before.committedTotal() + kInFlightAtKill;
  WARN("kill -9 of one of two consumers: " << t.duplicates << " duplicates; uncommitted window at the kill "
                                           << window << " (" << delivered_at_kill << " delivered, "
                                           << before.committedTotal() << " committed)");
  CHECK(t.missing == 0);
  CHECK(t.unexpected == 0);
  CHECK(static_cast<int64_t>(t.duplicates) <= window);
}

TEST_CASE("kafka source: cooperative-sticky: a member that joins takes half the partitions and the other keeps "
          "its own, and when it leaves they come back, nothing lost", "[e2e][kafka]") {
  KafkaRig rig;
  rig.group_timing = kGroupTiming + "      partition.assignment.strategy: cooperative-sticky\n";
  const size_t kRecords = 200000;
  rig.produce(numberedLines(0, kRecords, 0, "rec"));
  rig.drain.setDelay(50ms);  // about 20,000 records a second: both rebalances happen mid-stream
  const std::string raw_format = "    format: raw\n";
  AgentProcess a(rig.member("a", raw_format, kSlowSink));
  const uint16_t api_a = apiPort(a);
  const auto assigned = [](uint16_t api) {
    return metric(api, "sluice_component_kafka_partitions_assigned", {"component_id=\"bus\""});
  };
  REQUIRE(waitFor([&] { return assigned(api_a) == kPartitions; }, 60s));
  REQUIRE(rig.drain.waitForMessages(1000, 60s));
  REQUIRE(waitFor([&] { return rig.offsets().committedTotal() > 0; }, 60s));
  const int64_t committed_before = rig.offsets().committedTotal();
  std::string b_log;
  size_t delivered_at_split = 0;
  {
    AgentProcess b(rig.member("b", raw_format, kSlowSink));
    const uint16_t api_b = apiPort(b);
    REQUIRE(waitFor([&] { return assigned(api_a) == 2 && assigned(api_b) == 2; }, 60s));
    delivered_at_split = rig.drain.messageCount();
    REQUIRE(rig.drain.waitForMessages(rig.drain.messageCount() + 2000, 60s));  // both consume
    INFO(a.stderrText());
    // Incremental: A gave up two partitions and kept two; an eager rebalance would have revoked all four.
    CHECK(a.stderrText().find("2 partitions revoked") != std::string::npos);
    CHECK(a.stderrText().find("4 partitions revoked") == std::string::npos);
    CHECK(terminateAndFinish(b) == 0);
    b_log = b.stderrText();
  }
  REQUIRE(waitFor([&] { return assigned(api_a) == kPartitions; }, 60s));
  const size_t at_handback = rig.drain.messageCount();
  INFO("delivered when B left: " << at_handback);
  CHECK(at_handback < kRecords);  // the stream was still flowing through both rebalances
  rig.drain.setDelay(0ms);
  REQUIRE(waitFor([&] { return tally(bodyCounts(rig.drain), 0, kRecords).missing == 0; }, 180s));
  CHECK(rig.waitCommitted());
  CHECK(terminateAndFinish(a) == 0);
  Tally t = tally(bodyCounts(rig.drain), 0, kRecords);
  // What is read twice is at most the uncommitted window of the partitions A gave to B: what was delivered since
  // the last commit before B joined (librdkafka commits nothing while a rebalance is under way, and the commit at
  // the revoke itself may be refused with "rebalance in progress"), plus what A held unacknowledged then (its
  // buffer of 128 KiB, about 2,000 of these lines, and two batches of 500 in flight). B's own lines at its stop
  // were delivered and committed before it left.
  const int64_t window =
      static_cast<int64_t>(delivered_at_split) - committed_before + 2000 + 2 * 500;
  WARN("cooperative-sticky, a member joining and leaving mid-stream: "
       << t.duplicates << " duplicates; uncommitted window " << window << " (" << delivered_at_split
       << " delivered when both had 2 partitions, " << committed_before << " committed before B joined)");
  INFO("A: " << a.stderrText() << "\nB: " << b_log);
  CHECK(t.missing == 0);
  CHECK(t.unexpected == 0);
  CHECK(static_cast<int64_t>(t.duplicates) <= window);
}

TEST_CASE("kafka source: a drain that stalls pauses the partitions, and everything arrives when it is back",
          "[e2e][kafka]") {
  KafkaRig rig;
  const size_t kRecords = 20000;
  rig.drain.goDown();
  rig.produce(numberedLines(0, kRecords, 60, "rec"));
  AgentProcess agent(rig.env.agent({"--config", rig.config("    format: raw\n",
      "    buffer: {memory: 256KiB, when_full: block}\n    batch: {max_bytes: 64KiB}\n")}));
  const uint16_t api = apiPort(agent);
  REQUIRE(waitFor([&] { return metric(api, "sluice_component_kafka_pauses", {"component_id=\"bus\""}) >= 1; }, 60s));
  CHECK(metric(api, "sluice_component_kafka_partitions_paused", {"component_id=\"bus\""}) >= 1);
  const double read_while_paused = metric(api, "sluice_component_received_events_total", {"component_id=\"bus\""});
  CHECK(read_while_paused < static_cast<double>(kRecords));
  rig.drain.comeUp();
  REQUIRE(rig.drain.waitForMessages(kRecords, 120s));
  CHECK(rig.waitCommitted());
  const double received = metric(api, "sluice_component_received_events_total", {"component_id=\"bus\""});
  CHECK(terminateAndFinish(agent) == 0);
  const std::string log = agent.stderrText();
  INFO(log);
  Tally t = tally(bodyCounts(rig.drain), 0, kRecords, 60);
  CHECK(t.missing == 0);
  CHECK(t.unexpected == 0);
  // Pausing and resuming reads nothing twice. A rebalance of the mock group under load (the member's session
  // lost, its partitions assigned again from the last commit: nothing is committed while the drain is down) does,
  // and each of those records is counted received twice.
  size_t assignments = 0;
  for (size_t at = log.find(" assigned\n"); at != std::string::npos; at = log.find(" assigned\n", at + 1)) ++assignments;
  if (assignments == 1) {
    CHECK(t.duplicates == 0);
  } else {
    WARN(assignments << " assignments: " << t.duplicates << " duplicates, " << received << " records received");
    CHECK(static_cast<double>(t.duplicates) <= received - static_cast<double>(kRecords));
  }
  CHECK(agent.stderrText().find("NOT delivered") == std::string::npos);
}

TEST_CASE("kafka source: stopped mid-stream (SIGTERM) and started again, nothing is lost or read twice",
          "[e2e][kafka]") {
  KafkaRig rig;
  const size_t kRecords = 50000;
  rig.produce(numberedLines(0, kRecords, 0, "rec"));
  rig.drain.setDelay(50ms);
  const std::string config = rig.config("    format: raw\n", kSlowSink);
  {
    AgentProcess first(rig.env.agent({"--config", config}));
    REQUIRE(rig.drain.waitForMessages(kRecords / 5, 120s));
    CHECK(terminateAndFinish(first) == 0);
  }
  const size_t after_first = rig.drain.messageCount();
  CHECK(after_first < kRecords);
  // What the first run delivered is committed: the second starts after it.
  CHECK(rig.offsets().committedTotal() == static_cast<int64_t>(after_first));
  rig.drain.setDelay(0ms);
  AgentProcess second(rig.env.agent({"--config", config}));
  REQUIRE(rig.drain.waitForMessages(kRecords, 120s));
  CHECK(rig.waitCommitted());
  CHECK(terminateAndFinish(second) == 0);
  Tally t = tally(bodyCounts(rig.drain), 0, kRecords);
  CHECK(t.missing == 0);
  CHECK(t.duplicates == 0);
  CHECK(t.unexpected == 0);
}

TEST_CASE("kafka source: SIGTERM while the coordinator answers in 30 s: leaving the group waits at most 5 s, and the agent exits 0",
          "[e2e][kafka]") {
  KafkaRig rig;
  // The group's own bound on leaving (rd_kafka_consumer_close) is its session timeout, or never: 30 s here.
  rig.group_timing = "    librdkafka:\n      session.timeout.ms: '30000'\n      heartbeat.interval.ms: '500'\n";
  rig.produce(numberedLines(0, 1000, 0, "rec"));
  AgentProcess agent(rig.env.agent({"--config", rig.config("    format: raw\n")}));
  REQUIRE(rig.drain.waitForMessages(1000, 60s));
  REQUIRE(rig.waitCommitted());
  // Every answer of the broker (the last commit, LeaveGroup) now takes 30 s.
  mockCommand(rig.cluster, "rtt 1 30000");
  const auto stopped_at = std::chrono::steady_clock::now();
  CHECK(terminateAndFinish(agent, 60s) == 0);
  const auto took = std::chrono::steady_clock::now() - stopped_at;
  INFO("exit " << std::chrono::duration_cast<std::chrono::milliseconds>(took).count() << " ms after SIGTERM");
  CHECK(took < 15s);
  const std::string err = agent.stderrText();
  CHECK(err.find("did not finish within 5000 ms") != std::string::npos);
  CHECK(rig.drain.messageCount() == 1000);
}

TEST_CASE("kafka source: --help-plugin shows it beside the sink, and sluice check refuses what it sets itself",
          "[e2e][kafka]") {
  Env env;
  checkHelpPlugin(env, {"kafka"}, {"sink type 'kafka'", "source type 'kafka'", "group_id", "start_at",
                                   "commit_interval"});
  const std::string head = "sinks:\n  - name: out\n    type: stdout\nsources:\n  - name: bus\n    type: kafka\n"
                           "    brokers: [kafka-1:9092]\n    topics: [logs]\n";
  std::string no_group = env.writeFile("no-group.yaml", head);
  AgentProcess check(env.agent({"check", "--config", no_group}));
  CHECK(finish(check, 30s) == 2);
  CHECK(check.stderrText().find("group_id") != std::string::npos);
  // A librdkafka property the source sets itself is refused where it is written (FILE:LINE:COL).
  const auto refuses = [&](const std::string& file, const std::string& property) {
    std::string path = env.writeFile(file, head + "    group_id: g\n    librdkafka:\n      " + property + ": '1'\n");
    AgentProcess run(env.agent({"check", "--config", path}));
    CHECK(finish(run, 30s) == 2);
    INFO(run.stderrText());
    CHECK(run.stderrText().find(file + ":11:7: librdkafka." + property + ": set by Sluice") != std::string::npos);
  };
  refuses("auto-commit.yaml", "enable.auto.commit");
  refuses("interval.yaml", "auto.commit.interval.ms");  // the source's commit_interval sets it
  std::string good = env.writeFile("good.yaml", head + "    group_id: g\n    format: rfc5424\n    start_at: end\n");
  AgentProcess check3(env.agent({"check", "--config", good}));
  INFO(check3.stderrText());
  CHECK(finish(check3, 30s) == 0);
}
