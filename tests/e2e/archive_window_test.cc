// Time-window queries over the archive (shared/seeds/004): by time received, the same answer every time.

#include "tests/e2e/admin_e2e.h"
#include "agent/admin/archive_format.h"
#include "agent/core/clock.h"
#include "tests/support/records.h"

using namespace sluice;
using namespace sluice::e2e;

namespace {

std::string iso(int64_t us) { return TimestampFormatter().format(us); }

std::vector<std::string> ndjsonMessages(const std::string& body) {
  std::vector<std::string> out;
  for (const auto& l : splitLines(body)) {
    size_t at = l.find("\"message\":\"");
    REQUIRE(at != std::string::npos);
    out.push_back(l.substr(at + 11, l.rfind("\"}") - at - 11));
  }
  return out;
}

}  // namespace

TEST_CASE("a window returns exactly the lines received in it, the same lines in the same order every time", "[e2e][api]") {
  ApiAgent a("  archive: true\n");
  auto& [env, drain, agent, port] = a;

  const int64_t t0 = wallMicros();
  std::string first = numberedLines(0, 500, 0, "first");
  REQUIRE(agent.write(first));
  REQUIRE(waitForRecent(port, 500));
  std::this_thread::sleep_for(20ms);  // a clean boundary between the two batches' receive times
  const int64_t t1 = wallMicros();
  std::string second = numberedLines(0, 700, 0, "second");
  REQUIRE(agent.write(second));
  REQUIRE(waitForRecent(port, 1200));
  std::this_thread::sleep_for(20ms);
  const int64_t t2 = wallMicros();

  auto q1 = httpGet(port, "/logs?after=" + iso(t0) + "&before=" + iso(t1));
  auto q2 = httpGet(port, "/logs?after=" + iso(t1) + "&before=" + iso(t2) + "&format=ndjson");
  REQUIRE(q1);
  REQUIRE(q2);
  CHECK(q1->status == 200);
  CHECK(q1->header("content-type") == "application/x-ndjson");
  CHECK(firstDifference(ndjsonMessages(q1->body), splitLines(first)) == "");
  CHECK(firstDifference(ndjsonMessages(q2->body), splitLines(second)) == "");
  // Every object carries received, time, source and message.
  auto line = splitLines(q2->body).front();
  for (const char* key : {"\"received\":\"", "\"time\":\"", "\"source\":\"web-1\"", "\"message\":\"second-00000000\""}) {
    CHECK(line.find(key) != std::string::npos);
  }
  // Again, and again after more lines arrived: the same bytes.
  REQUIRE(agent.write("later\n"));
  REQUIRE(waitForRecent(port, 1201));
  for (int i = 0; i < 2; ++i) {
    auto again = httpGet(port, "/logs?after=" + iso(t1) + "&before=" + iso(t2) + "&format=ndjson");
    REQUIRE(again);
    CHECK(again->body == q2->body);
  }
  // raw and json formats; a filter.
  auto raw = httpGet(port, "/logs?after=" + iso(t0) + "&before=" + iso(t1) + "&format=raw");
  REQUIRE(raw);
  CHECK(raw->body == first);
  auto json = httpGet(port, "/logs?after=" + iso(t0) + "&before=" + iso(t1) + "&format=json");
  REQUIRE(json);
  CHECK(json->body.rfind("[\n{\"received\":", 0) == 0);
  CHECK(json->body.size() > 4);
  CHECK(json->body.substr(json->body.size() - 3) == "\n]\n");
  auto none = httpGet(port, "/logs?after=" + iso(t0) + "&before=" + iso(t2) + "&filter=nobody");
  REQUIRE(none);
  CHECK(none->status == 200);
  CHECK(none->body.empty());
  auto clf = httpGet(port, "/logs?after=" + iso(t0) + "&before=" + iso(t2) + "&format=clf");
  REQUIRE(clf);
  CHECK(clf->status == 200);
  CHECK(clf->body.empty());  // none of these lines is an access-log line

  agent.closeStdin();
  CHECK(finish(agent) == 0);
}

TEST_CASE("an empty window is a 200 with no body, and a window beyond retention says so", "[e2e][api]") {
  Env env;
  TestDrain drain(env.drainOptions());
  // An hour partition from ten days ago, as a previous run would have left it: retention deletes it.
  std::string dir = env.dir.path() + "/state/archive";
  std::filesystem::create_directories(dir);
  const int64_t old_hour = archiveHourOf(wallMicros()) - 240;
  {
    ByteBuffer b;
    SourceInfo info{0, "web-1", "stdin"};
    encodeArchiveRecord(recordOf(info, "ancient", old_hour * 3600000000LL + 5), {"web-1", "stdin", ""}, b);
    writeFile(dir + "/" + archivePartitionName(old_hour), b.view());
  }
  AgentProcess agent(env.agent({"--config", adminConfig(env, drain, "  archive: true\n  retention: {time: 7d, bytes: 1GiB}\n")}));
  uint16_t port = apiPort(agent);
  REQUIRE(agent.write("now\n"));
  REQUIRE(waitForRecent(port, 1));

  const int64_t now = wallMicros();
  auto empty = httpGet(port, "/logs?after=" + iso(now - 7200000000LL) + "&before=" + iso(now - 3600000000LL));
  REQUIRE(empty);
  CHECK(empty->status == 200);
  CHECK(empty->body.empty());

  auto beyond = httpGet(port, "/logs?after=" + iso(old_hour * 3600000000LL) + "&before=" + iso((old_hour + 1) * 3600000000LL));
  REQUIRE(beyond);
  CHECK(beyond->status == 416);
  CHECK(!beyond->header("sluice-archive-start").empty());
  CHECK(beyond->body.find("beyond the archive's retention") != std::string::npos);

  auto partly = httpGet(port, "/logs?after=2020-03-27&format=raw");
  REQUIRE(partly);
  CHECK(partly->status == 200);
  CHECK(partly->header("sluice-window-truncated") == "true");
  CHECK(partly->body == "now\n");
  // Retention removed the old hour from the disk.
  REQUIRE(waitFor([&] { return !std::filesystem::exists(dir + "/" + archivePartitionName(old_hour)); }, 90s));

  auto bad = httpGet(port, "/logs?after=yesterday");
  REQUIRE(bad);
  CHECK(bad->status == 400);
  agent.closeStdin();
  CHECK(finish(agent) == 0);
}

TEST_CASE("without api.archive a window query says how to turn it on", "[e2e][api]") {
  ApiAgent a;
  auto& [env, drain, agent, port] = a;
  auto r = httpGet(port, "/logs?after=2020-03-27");
  REQUIRE(r);
  CHECK(r->status == 404);
  CHECK(r->body.find("api.archive: true") != std::string::npos);
  agent.closeStdin();
  CHECK(finish(agent) == 0);
}
