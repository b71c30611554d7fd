// The journald source end to end: the real binary reads a journal the test writes (systemd-journal-remote, no
// journald needed) and sends to the test drain.
#include <cstdio>

#include "agent/formats/syslog_header.h"
#include "plugins/journald/cursor_file.h"
#include "tests/e2e/tail_e2e.h"
#include "tests/support/journal_writer.h"

using namespace sluice;
using namespace sluice::e2e;

namespace {

// How many entries the saved cursor of source `name` covers: its seqnum (i=, hex), since the test's journal
// numbers its entries from 1 in the order they were written.
size_t acknowledgedEntries(const Env& env, const std::string& name) {
  plugins::journald::CursorFile file(env.dir.file("state"), name);
  auto scan = file.open();
  REQUIRE(scan.ok());
  REQUIRE(scan->newest.has_value());
  const std::string& cursor = scan->newest->cursor;
  const size_t i = cursor.find(";i=");
  REQUIRE(i != std::string::npos);
  return std::stoul(cursor.substr(i + 3), nullptr, 16);
}

// A journald source named `name` reading `dir`, with `extra` lines (indented by 4 spaces).
std::string journaldSource(const std::string& name, const std::string& dir, const std::string& start_at,
                           const std::string& extra = "") {
  return "  - name: " + name + "\n    type: journald\n    directory: " + dir + "\n    start_at: " + start_at +
         "\n    poll_interval: 100ms\n" + extra;
}

// Entries "line-<i>" for i in [from, to), as numberedLines names them.
std::vector<JournalEntry> numbered(size_t from, size_t to) {
  std::vector<JournalEntry> out;
  char text[32];
  for (size_t i = from; i < to; ++i) {
    snprintf(text, sizeof text, "line-%08zu", i);
    out.push_back(journalEntry(text, "app", 6));
  }
  return out;
}

void append(JournalWriter& writer, const std::vector<JournalEntry>& entries) {
  std::string problem = writer.append(entries);
  INFO(problem);
  REQUIRE(problem.empty());
}

// The header of a message as the drain received it (the views point into `message`).
SyslogHeader headerOf(const std::string& message) {
  SyslogHeader h;
  const char* error = nullptr;
  REQUIRE(parseSyslogHeader(message, &h, &error));
  return h;
}

}  // namespace

TEST_CASE("journald: entries reach the drain with their PRIORITY, identifier as APP-NAME and their own time",
          "[e2e][journald]") {
  Env env;
  TestDrain drain(env.drainOptions());
  JournalWriter writer(env.dir.file("journal"));
  JournalEntry sshd = journalEntry("Accepted publickey for root\n", "sshd", 3);
  sshd.realtime_us = 1700000000123456;
  JournalEntry cron = journalEntry("(root) CMD (run-parts)");
  cron.field("_COMM", "cron").field("PRIORITY", "5");
  JournalEntry bare = journalEntry("no identifier");
  append(writer, {sshd, cron, bare});
  AgentProcess agent(
      env.agent({"--config", env.config(drain, "", "", journaldSource("sys", writer.dir(), "beginning"))}));
  REQUIRE(drain.waitForMessages(3, 30s));
  CHECK(terminateAndFinish(agent) == 0);
  CHECK(drain.protocolErrors().empty());
  std::vector<std::string> m = drain.messages();
  REQUIRE(m.size() == 3);
  const SyslogHeader sshd_h = headerOf(m[0]);
  CHECK(sshd_h.pri == 187);   // local7.err
  CHECK(sshd_h.timestamp == "2023-11-14T22:13:20.123456Z");
  CHECK(sshd_h.hostname == "test-host");
  CHECK(sshd_h.app_name == "sshd");
  CHECK(sshd_h.procid == "sys");
  CHECK(sshd_h.msg == "Accepted publickey for root");
  CHECK(headerOf(m[1]).pri == 189);             // local7.notice
  CHECK(headerOf(m[1]).app_name == "cron");     // no SYSLOG_IDENTIFIER: _COMM
  CHECK(headerOf(m[2]).pri == 190);             // no PRIORITY: severity info
  CHECK(headerOf(m[2]).app_name == "SECRET");   // no identifier at all: the sink's token, as for other sources
  CHECK(agent.stderrText().find("journal entries read") != std::string::npos);
}

TEST_CASE("journald: units and matches choose the entries that are sent", "[e2e][journald]") {
  Env env;
  TestDrain drain(env.drainOptions());
  JournalWriter writer(env.dir.file("journal"));
  auto unit = [](const std::string& msg, const std::string& u, int prio) {
    JournalEntry e = journalEntry(msg, "x", prio);
    e.field("_SYSTEMD_UNIT", u);
    return e;
  };
  append(writer, {unit("a-err", "a.service", 3), unit("b-err", "b.service", 3), unit("a-info", "a.service", 6),
                  unit("c-err", "c.service", 3), unit("cron-err", "cron.service", 3)});
  std::string source = journaldSource("sys", writer.dir(), "beginning",
                                      "    units: [a, cron.service]\n    matches: [\"PRIORITY=3\"]\n");
  AgentProcess agent(env.agent({"--config", env.config(drain, "", "", source)}));
  REQUIRE(drain.waitForMessages(2, 30s));
  append(writer, {unit("b-err-2", "b.service", 3), unit("a-last", "a.service", 3)});   // a marker: read in order
  REQUIRE(drain.waitForMessages(3, 30s));
  CHECK(terminateAndFinish(agent) == 0);
  CHECK(drain.bodies() == std::vector<std::string>{"a-err", "cron-err", "a-last"});
}

TEST_CASE("journald: start_at end sends what is written after the first start, beginning everything",
          "[e2e][journald]") {
  Env env;
  TestDrain drain(env.drainOptions());
  JournalWriter writer(env.dir.file("journal"));
  append(writer, numbered(0, 3));
  std::string sources = journaldSource("from-end", writer.dir(), "end") +
                        journaldSource("from-start", writer.dir(), "beginning");
  AgentProcess agent(env.agent({"--config", env.config(drain, "", "", sources)}));
  REQUIRE(drain.waitForMessages(3, 30s));   // both sources have started: the first one stands at the end
  append(writer, numbered(3, 5));
  REQUIRE(drain.waitForMessages(7, 30s));
  CHECK(terminateAndFinish(agent) == 0);
  std::map<std::string, std::vector<std::string>> by_source;
  for (const std::string& m : drain.messages()) by_source[std::string(headerOf(m).procid)].emplace_back(syslogBody(m));
  CHECK(by_source["from-end"] == std::vector<std::string>{"line-00000003", "line-00000004"});
  CHECK(by_source["from-start"].size() == 5);
}

// What a kill -9 sends again: the entries delivered past the saved cursor. Every acknowledgement moves the cursor
// file at once (one pwrite), so with one batch in flight that is this batch, plus up to 99 entries of the
// acknowledgement entry (100 journal entries) that straddles the last batch delivered. (With several batches in
// flight, answers that come out of order add those delivered after the oldest one still in flight: the cursor is a
// prefix. One in flight keeps the bound exact.)
constexpr size_t kInFlightBound = 1000 + 99;
TEST_CASE("journald: restarts mid-stream (kill -9, then SIGTERM) lose nothing, and only entries past the saved "
          "cursor come twice", "[e2e][journald]") {
  Env env;
  TestDrain drain(env.drainOptions());
  drain.setDelay(20ms);  // slow enough to be stopped in the middle
  JournalWriter writer(env.dir.file("journal"));
  const size_t first = 60000, second = 20000, third = 5000, total = first + second + third;
  append(writer, numbered(0, first));
  std::string config = env.config(drain, "    max_in_flight: 1\n    batch:\n      max_messages: 1000\n", "",
                                  journaldSource("sys", writer.dir(), "beginning"));
  {
    AgentProcess agent(env.agent({"--config", config}));
    REQUIRE(drain.waitForMessages(30000, 120s));
    killNine(agent);
  }
  REQUIRE(waitFor([&] { return drain.openConnections() == 0 && drain.requests().size() == drain.requestsArrived(); },
                  10s));
  const size_t after_kill = drain.messageCount();
  // The guarantee: every entry before the saved cursor was delivered; what comes again is what lies past it.
  const size_t acknowledged = acknowledgedEntries(env, "sys");
  const std::vector<int> seen = lineCounts(drain.bodies(), total);
  size_t undelivered = 0, past = 0;
  for (size_t i = 0; i < total; ++i) {
    if (i < acknowledged && seen[i] != 1) ++undelivered;
    if (i >= acknowledged) past += static_cast<size_t>(seen[i]);
  }
  INFO("first run delivered " << after_kill << ", acknowledged " << acknowledged);
  CHECK(acknowledged > 0);
  REQUIRE(undelivered == 0);
  CHECK(past <= kInFlightBound);

  append(writer, numbered(first, first + second));
  {
    AgentProcess agent(env.agent({"--config", config}));
    REQUIRE(drain.waitForMessages(after_kill + past + 10000, 120s));
    CHECK(terminateAndFinish(agent) == 0);   // what it read is delivered before it exits: nothing comes twice
  }
  append(writer, numbered(first + second, total));
  auto arrived = [&] {
    for (int c : lineCounts(drain.bodies(), total)) {
      if (c == 0) return false;
    }
    return true;
  };
  AgentProcess agent(env.agent({"--config", config}));
  REQUIRE(waitFor(arrived, 180s));
  CHECK(terminateAndFinish(agent) == 0);
  size_t missing = 0, dupes = 0, dupes_before = 0;
  const std::vector<int> count = lineCounts(drain.bodies(), total);
  for (size_t i = 0; i < total; ++i) {
    if (count[i] == 0) ++missing;
    if (count[i] > 1) dupes += static_cast<size_t>(count[i] - 1);
    if (count[i] > 1 && i < acknowledged) ++dupes_before;
  }
  INFO("duplicates: " << dupes);
  CHECK(missing == 0);
  CHECK(dupes_before == 0);   // nothing acknowledged is sent again
  CHECK(dupes == past);       // and the SIGTERM left nothing to send again
}

TEST_CASE("journald: entries the drain has not accepted are sent after a restart: the cursor stayed before them",
          "[e2e][journald]") {
  Env env;
  TestDrain drain(env.drainOptions());
  drain.failRandomly(1.0, 503);   // every batch is refused (for now): a retry, never an acknowledgement
  JournalWriter writer(env.dir.file("journal"));
  append(writer, numbered(0, 10));
  std::string config =
      env.config(drain, "", "  shutdown_timeout: 1s\n", journaldSource("sys", writer.dir(), "beginning"));
  {
    AgentProcess agent(env.agent({"--config", config}));
    REQUIRE(waitFor([&] { return drain.requestsArrived() >= 2; }, 30s));   // read, sent, refused, sent again
    CHECK(terminateAndFinish(agent) == 1);   // undelivered at shutdown, and said so
  }
  CHECK(drain.messageCount() == 0);
  drain.failRandomly(0.0, 503);
  AgentProcess agent(env.agent({"--config", config}));
  REQUIRE(drain.waitForMessages(10, 30s));
  CHECK(terminateAndFinish(agent) == 0);
  CHECK(drain.bodies() == splitLines(numberedLines(0, 10)));
}

TEST_CASE("journald: a journal directory that does not exist yet is waited for, with a warning", "[e2e][journald]") {
  Env env;
  TestDrain drain(env.drainOptions());
  const std::string dir = env.dir.file("later/journal");
  AgentProcess agent(env.agent({"--config", env.config(drain, "", "", journaldSource("sys", dir, "end"))}));
  REQUIRE(waitFor([&] { return agent.stderrText().find("does not exist (yet)") != std::string::npos; }, 30s));
  JournalWriter writer(dir);
  append(writer, numbered(0, 3));
  REQUIRE(drain.waitForMessages(3, 30s));   // all new: they appeared after the start
  CHECK(terminateAndFinish(agent) == 0);
}
