// The journald source on a real loop, over a journal the test writes, with a sink whose transport holds batches
// until told: what each entry becomes, where a start begins, and a cursor that moves only as batches are delivered.
#include <catch2/catch.hpp>

#include "agent/pipeline/router.h"
#include "plugins/journald/journald_source.h"
#include "tests/support/journal_writer.h"
#include "tests/support/sink_harness.h"
#include "tests/support/temp_dir.h"

using namespace sluice;
using namespace sluice::plugins::journald;
using namespace std::chrono_literals;

namespace {

struct Seen {
  std::string message;
  std::string app_name;
  Severity severity;
  int64_t event_us;
};

class RecordingTap : public Router::Tap {
 public:
  void onRecord(const Record& r) override {
    seen.push_back(Seen{std::string(r.message), r.source->app_name, r.severity, r.event_us});
  }
  std::vector<std::string> messages() const {
    std::vector<std::string> out;
    for (const Seen& s : seen) out.push_back(s.message);
    return out;
  }
  std::vector<Seen> seen;
};

SinkSettings heldSink() {
  SinkSettings s = testSinkSettings();
  s.batch.linger = 1ms;
  s.max_in_flight = 100;
  return s;
}

std::vector<JournalEntry> entries(int from, int to, const std::string& identifier = "app") {
  std::vector<JournalEntry> out;
  for (int i = from; i < to; ++i) out.push_back(journalEntry("entry " + std::to_string(i), identifier, 6));
  return out;
}

std::vector<std::string> texts(int from, int to) {
  std::vector<std::string> out;
  for (int i = from; i < to; ++i) out.push_back("entry " + std::to_string(i));
  return out;
}

struct Fixture {
  Fixture() {
    router.addSink(sink.runner.get());
    router.setTap(&tap);
  }
  ~Fixture() {
    finish();
    sink.stop();
    sink.runner.reset();
    CHECK(loop.close() == 0);
  }

  JournaldOptions options(bool from_beginning = true) const {
    JournaldOptions o;
    o.directory = journal_dir;
    o.start_at_beginning = from_beginning;
    o.poll_interval = 20ms;
    o.checkpoint_interval = 10ms;
    o.state_dir = dir.file("state");
    return o;
  }
  void startSource(JournaldOptions o) {
    SourceInfo info;
    info.name = "sys";
    info.type = "journald";
    source = std::make_unique<JournaldSource>(loop, router, info, std::move(o));
    REQUIRE(source->start().ok());
    router.addSource(source.get());
  }
  // Stops the source, lets the sink deliver what it holds, and frees the source (its last cursor write).
  void finish() {
    if (!source) return;
    source->stop();
    sink.transport->hold = false;
    sink.transport->release();
    CHECK(runLoopUntil(loop, [&] { return source->finished() && !source->acksOutstanding(); }, 5s));
    router.removeSource(source.get());
    source.reset();
    // A cursor fsync still on the thread pool (checkpoint_interval is 10 ms here) outlives the source: its request
    // keeps the loop from closing until it is done.
    CHECK(runLoopUntil(loop, [&] { return loop.get()->active_reqs.count == 0; }, 5s));
  }
  void write(const std::vector<JournalEntry>& e) {
    std::string problem = writer.append(e);
    INFO(problem);
    REQUIRE(problem.empty());
  }
  bool waitForRecords(size_t n) { return runLoopUntil(loop, [&] { return tap.seen.size() >= n; }, 10s); }
  void runFor(std::chrono::milliseconds d) {
    auto end = std::chrono::steady_clock::now() + d;
    runLoopUntil(loop, [&] { return std::chrono::steady_clock::now() >= end; }, d + 1s);
  }
  // The position saved in the cursor file now.
  std::optional<std::string> saved() const {
    CursorFile f(dir.file("state"), "sys");
    auto scan = f.open();
    REQUIRE(scan.ok());
    if (!scan->newest) return std::nullopt;
    return scan->newest->cursor;
  }

  TempDir dir;
  std::string journal_dir = dir.file("journal");
  JournalWriter writer{journal_dir};
  Loop loop;
  Router router;
  SinkHarness sink{loop, heldSink()};
  RecordingTap tap;
  std::unique_ptr<JournaldSource> source;
};

}  // namespace

TEST_CASE("journald: an entry's PRIORITY, identifier, time and MESSAGE make the record", "[journald]") {
  Fixture f;
  JournalEntry plain = journalEntry("hello\n", "sshd", 3);
  plain.realtime_us = 1700000000123456;
  JournalEntry comm = journalEntry("from comm");
  comm.field("_COMM", "cron");
  JournalEntry binary = journalEntry(std::string("bin\0ary\x01\nline\n", 14), "app", 9);
  JournalEntry none = journalEntry("nobody");
  f.write({plain, comm, binary, none});
  f.startSource(f.options());
  REQUIRE(f.waitForRecords(4));
  REQUIRE(f.tap.seen.size() == 4);
  CHECK(f.tap.seen[0].message == "hello");   // the trailing newline is not part of it
  CHECK(f.tap.seen[0].app_name == "sshd");
  CHECK(f.tap.seen[0].severity == Severity::Error);
  CHECK(f.tap.seen[0].event_us == 1700000000123456);
  CHECK(f.tap.seen[1].app_name == "cron");   // no SYSLOG_IDENTIFIER: _COMM
  CHECK(f.tap.seen[1].severity == Severity::Info);
  CHECK(f.tap.seen[2].message == std::string("bin\0ary\x01\nline", 13));
  CHECK(f.tap.seen[2].severity == Severity::Info);   // PRIORITY=9 is none
  CHECK(f.tap.seen[3].app_name.empty());
  CHECK(f.source->counters().received_events == 4);
  CHECK(f.source->counters().received_bytes == 5 + 9 + 13 + 6);
}

TEST_CASE("journald: the cursor moves only when what was read is delivered", "[journald]") {
  Fixture f;
  f.sink.transport->hold = true;
  f.write(entries(0, 3));
  f.startSource(f.options());
  CHECK_FALSE(f.saved().has_value());   // start_at: beginning, nothing acknowledged yet
  REQUIRE(runLoopUntil(f.loop, [&] { return f.sink.transport->messages == 3; }, 5s));
  f.runFor(100ms);   // ten checkpoint intervals
  CHECK_FALSE(f.saved().has_value());
  CHECK(f.source->acksOutstanding());
  f.sink.transport->release();
  REQUIRE(runLoopUntil(f.loop, [&] { return f.saved().has_value(); }, 5s));
  CHECK(f.saved() == f.source->ackedCursor());
  CHECK(f.saved()->find(";i=3;") != std::string::npos);   // the third entry's
  CHECK_FALSE(f.source->acksOutstanding());
}

TEST_CASE("journald: a restart resumes after the saved cursor, with nothing again and nothing missed",
          "[journald]") {
  Fixture f;
  f.write(entries(0, 250));
  f.startSource(f.options());
  REQUIRE(f.waitForRecords(250));
  f.finish();
  f.write(entries(250, 260));
  f.startSource(f.options(false));   // start_at no longer matters: there is a cursor
  REQUIRE(f.waitForRecords(260));
  f.runFor(100ms);
  CHECK(f.tap.messages() == texts(0, 260));
}

TEST_CASE("journald: start_at end skips what the journal held at the first start", "[journald]") {
  Fixture f;
  f.write(entries(0, 5));
  f.startSource(f.options(false));
  f.runFor(100ms);
  CHECK(f.tap.seen.empty());
  f.write(entries(5, 8));
  REQUIRE(f.waitForRecords(3));
  CHECK(f.tap.messages() == texts(5, 8));
}

TEST_CASE("journald: a directory that appears after the start is read from its beginning, whatever start_at says",
          "[journald]") {
  Fixture f;
  f.journal_dir = f.dir.file("later/journal");
  f.startSource(f.options(false));
  f.runFor(60ms);
  CHECK_FALSE(f.saved().has_value());   // nothing saved: a later start does not read from the head
  JournalWriter late(f.journal_dir);
  REQUIRE(late.append(entries(0, 4)).empty());
  REQUIRE(f.waitForRecords(4));
  CHECK(f.tap.messages() == texts(0, 4));
}

TEST_CASE("journald: while paused nothing is read, and a backlog larger than a turn comes after resume", "[journald]") {
  Fixture f;
  f.startSource(f.options());
  f.source->pause();
  f.write(entries(0, 2500));
  f.runFor(150ms);
  CHECK(f.tap.seen.empty());
  f.source->resume();
  REQUIRE(f.waitForRecords(2500));
  CHECK(f.tap.messages() == texts(0, 2500));
}

TEST_CASE("journald: matches filter, one field's values OR'ed and different fields AND'ed", "[journald]") {
  Fixture f;
  std::vector<JournalEntry> e;
  auto unit = [](const std::string& msg, const std::string& u, int prio) {
    JournalEntry x = journalEntry(msg, "x", prio);
    x.field("_SYSTEMD_UNIT", u);
    return x;
  };
  f.write({unit("a-err", "a.service", 3), unit("b-err", "b.service", 3), unit("a-info", "a.service", 6),
           unit("c-err", "c.service", 3), unit("b-info", "b.service", 6)});
  JournaldOptions o = f.options();
  o.matches = {"_SYSTEMD_UNIT=a.service", "_SYSTEMD_UNIT=b.service", "PRIORITY=3"};
  f.startSource(o);
  REQUIRE(f.waitForRecords(2));
  f.runFor(100ms);
  CHECK(f.tap.messages() == std::vector<std::string>{"a-err", "b-err"});
}

TEST_CASE("journald: start_at end saves the journal's last entry whatever matched, so a restart misses nothing",
          "[journald]") {
  Fixture f;
  f.write(entries(0, 5));   // PRIORITY=6: none matches
  JournaldOptions o = f.options(false);
  o.matches = {"PRIORITY=3"};
  f.startSource(o);
  REQUIRE(f.saved().has_value());
  CHECK(f.saved()->find(";i=5;") != std::string::npos);
  f.runFor(60ms);
  f.finish();
  f.write({journalEntry("while stopped", "app", 3), journalEntry("not this", "app", 6)});
  f.startSource(o);
  REQUIRE(f.waitForRecords(1));
  f.runFor(100ms);
  CHECK(f.tap.messages() == std::vector<std::string>{"while stopped"});
}
