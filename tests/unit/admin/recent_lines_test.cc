#include <catch2/catch.hpp>

#include <deque>
#include <random>

#include "agent/admin/log_filter.h"
#include "agent/admin/log_format.h"
#include "agent/admin/recent_lines.h"
#include "tests/support/records.h"

using namespace sluice;

namespace {

struct Fixture {
  SourceInfo web1{1001, "web-1", "exec"};
  SourceInfo web2{1002, "web-2", "exec"};
  SourceInfo worker{1003, "worker-1", "exec"};
  SourceInfo app{1004, "app", "stdin"};
};

}  // namespace

TEST_CASE("the ring keeps the last max_lines lines, addressed by sequence number", "[admin]") {
  Fixture f;
  RecentLines ring(3, 1 << 20);
  for (int i = 0; i < 5; ++i) ring.add(recordOf(f.app, "line " + std::to_string(i), i));
  CHECK(ring.size() == 3);
  CHECK(ring.firstSeq() == 3);
  CHECK(ring.nextSeq() == 6);
  LogLine l;
  CHECK_FALSE(ring.get(2, &l));
  REQUIRE(ring.get(3, &l));
  CHECK(l.message == "line 2");
  CHECK(l.source == "app");
  CHECK(l.type == "stdin");
  CHECK(l.received_us == 2);
  REQUIRE(ring.get(5, &l));
  CHECK(l.message == "line 4");
  CHECK_FALSE(ring.get(6, &l));
}

TEST_CASE("the ring is bounded in bytes, and what it keeps is always intact", "[admin]") {
  Fixture f;
  const size_t cap = 64 * 1024;
  RecentLines ring(100000, cap);
  std::deque<std::string> model;  // what a reader may still get, newest last
  std::mt19937 rng(42);
  uint64_t seq = 1;
  for (int i = 0; i < 20000; ++i) {
    size_t len = rng() % 3 == 0 ? rng() % 5000 : rng() % 100;
    std::string msg(len, static_cast<char>('a' + i % 26));
    if (!msg.empty()) msg[0] = static_cast<char>('A' + i % 26);
    ring.add(recordOf(f.app, msg));
    model.push_back(msg);
    ++seq;
    // Whatever is kept is the newest lines, intact, and bounded.
    REQUIRE(ring.nextSeq() == seq);
    size_t bytes = 0;
    for (uint64_t s = ring.firstSeq(); s < ring.nextSeq(); ++s) {
      LogLine l;
      REQUIRE(ring.get(s, &l));
      REQUIRE(l.message == model[model.size() - (ring.nextSeq() - s)]);
      bytes += l.message.size();
    }
    REQUIRE(bytes <= cap);
    REQUIRE(ring.size() >= 1);
  }
  CHECK(ring.size() > 20);
}

TEST_CASE("a very long line is kept cut, the ring's other lines unharmed", "[admin]") {
  Fixture f;
  RecentLines ring(10, 1 << 20);
  std::string big(200 * 1024, 'z');
  ring.add(recordOf(f.app, "before"));
  ring.add(recordOf(f.app, big));
  LogLine l;
  REQUIRE(ring.get(2, &l));
  CHECK(l.message.size() == RecentLines::kMaxKeptLine);
  REQUIRE(ring.get(1, &l));
  CHECK(l.message == "before");
}

TEST_CASE("a filter matches a name, a type, a name prefix or a regular expression", "[admin]") {
  struct Case {
    const char* filter;
    const char* source;
    const char* type;
    bool matches;
  };
  const Case cases[] = {
      {"", "anything", "x", true},           {"web-1", "web-1", "exec", true},
      {"web-1", "web-2", "exec", false},     {"web", "web-1", "exec", true},
      {"web", "web.2", "exec", true},        {"web", "webhook", "exec", false},
      {"web", "worker-1", "exec", false},    {"exec", "worker-1", "exec", true},
      {"web|worker", "worker-1", "exec", true}, {"web|worker", "web-3", "exec", true},
      {"web|worker", "app", "stdin", false}, {"^app$", "app", "stdin", true},
  };
  for (const Case& c : cases) {
    INFO("filter '" << c.filter << "' on " << c.source << " (" << c.type << ")");
    CHECK(LogFilter::parse(c.filter).value().matches(c.source, c.type) == c.matches);
  }
  auto bad = LogFilter::parse("web(");
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().message.find("not a valid regular expression") != std::string::npos);
}

TEST_CASE("a hostile filter is refused or runs in linear time, never on the stack", "[admin]") {
  // 20,000 nested groups drove std::regex's recursive compiler off the stack (SIGSEGV).
  std::string nested = std::string(20000, '(') + "a" + std::string(20000, ')');
  auto deep = LogFilter::parse(nested);
  REQUIRE_FALSE(deep.ok());
  CHECK(deep.error().message.find("at most 1024") != std::string::npos);
  // Within the length limit, nesting is RE2's business: compiled or refused, with its reason.
  std::string within = std::string(500, '(') + "a" + std::string(500, ')');
  auto r = LogFilter::parse(within);
  if (r.ok()) CHECK(r->matches("a", "stdin"));
  // Exponential backtracking for a backtracking engine; linear for RE2 (a cached verdict per source anyway).
  auto evil = LogFilter::parse("(a*)*b").value();
  std::string name(100000, 'a');
  CHECK_FALSE(evil.matches(name, "stdin"));
  CHECK(LogFilter::parse("(x+x+)+y").value().matches("xxxxy", "exec"));
  auto bad = LogFilter::parse("a{2,1}");
  REQUIRE_FALSE(bad.ok());
  INFO(bad.error().message);
  CHECK(bad.error().message.find("invalid filter 'a{2,1}': not a valid regular expression (invalid repetition size") == 0);
}

TEST_CASE("lines are formatted as text, raw, NDJSON with valid JSON for any bytes", "[admin]") {
  LineFormatter fmt("host-1");
  const std::string msg = "caf\xc3\xa9 \"q\" \\ \x01 \xff end";
  LogLine l = logLineOf("web-1", "exec", msg);
  std::string out;
  fmt.append(l, LogFormat::Text, out);
  CHECK(out == "2020-03-29T11:01:02.120000Z [web-1] " + msg + "\n");
  out.clear();
  fmt.append(l, LogFormat::Ndjson, out);
  CHECK(out == "{\"received\":\"2020-03-29T11:01:02.120000Z\",\"source\":\"web-1\",\"type\":\"exec\",\"time\":"
               "\"2020-03-29T11:01:02.120000Z\",\"severity\":\"info\",\"hostname\":\"host-1\",\"procid\":\"web-1\","
               "\"message\":\"caf\xc3\xa9 \\\"q\\\" \\\\ \\u0001 \\ufffd end\"}\n");
  // A logplex frame: its own header fields, and MSG as the message.
  LogLine p = l;
  p.preformatted = true;
  p.message = "<134>1 2013-03-27T20:02:24+00:00 h app proc id [a b=\"c\"] the msg\nsecond";
  out.clear();
  fmt.append(p, LogFormat::Ndjson, out);
  CHECK(out.find("\"time\":\"2013-03-27T20:02:24+00:00\",\"severity\":\"info\",\"facility\":\"local0\","
                 "\"hostname\":\"h\",\"app_name\":\"app\",\"procid\":\"proc\",\"msgid\":\"id\","
                 "\"structured_data\":\"[a b=\\\"c\\\"]\",\"message\":\"the msg\\nsecond\"}") != std::string::npos);
  out.clear();
  fmt.append(p, LogFormat::Raw, out);
  CHECK(out == "the msg second\n");
}
