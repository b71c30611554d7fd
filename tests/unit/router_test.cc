// The router: each record goes to the sinks whose inputs take its source; a full sink pauses only those sources.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "agent/pipeline/router.h"

using namespace sluice;

namespace {

class CountingSink : public LineSink {
 public:
  void append(const Record& record) override { got.emplace_back(record.message); }
  void flush() override {}
  void forgetSource(uint32_t id) override { forgotten.push_back(id); }
  void onPressure(PressureFn fn) override { pressure = std::move(fn); }
  bool holdingSources() const override { return false; }

  std::vector<std::string> got;
  std::vector<uint32_t> forgotten;
  PressureFn pressure;
};

class PausableSource : public Source {
 public:
  explicit PausableSource(std::string name) : Source(SourceInfo{0, std::move(name), "test"}) {}
  Status start() override { return {}; }
  void pause() override { paused = true; }
  void resume() override { paused = false; }
  void stop() override {}
  bool paused = false;
};

Record recordFrom(const SourceInfo& source, std::string_view message) {
  Record r;
  r.source = &source;
  r.message = message;
  return r;
}

}  // namespace

TEST_CASE("inputs match source names and shell globs, and none or * takes every source") {
  CHECK(SourceSelector().takes("anything"));
  CHECK(SourceSelector({"*"}).takesAll());
  SourceSelector web({"nginx", "web-*"});
  CHECK(web.takes("nginx"));
  CHECK(web.takes("web-1"));
  CHECK_FALSE(web.takes("web"));
  CHECK_FALSE(web.takes("app"));
  CHECK(inputMatches("w?b-[12]", "web-2"));
  CHECK_FALSE(inputMatches("w?b-[12]", "web-3"));
}

TEST_CASE("a record goes only to the sinks that take its source") {
  Router router;
  CountingSink all, web_only, app_only;
  router.addSink(&all);
  router.addSink(&web_only, SourceSelector({"web-*"}));
  router.addSink(&app_only, SourceSelector({"app"}));
  SourceInfo web1{101, "web-1", "tail", "access.log"}, app{102, "app", "exec"};
  for (int i = 0; i < 3; ++i) {  // the second and third records of a source use the cached route
    router.route(recordFrom(web1, "w"));
    router.route(recordFrom(app, "a"));
  }
  CHECK(all.got == std::vector<std::string>{"w", "a", "w", "a", "w", "a"});
  CHECK(web_only.got == std::vector<std::string>{"w", "w", "w"});
  CHECK(app_only.got == std::vector<std::string>{"a", "a", "a"});

  // Sluice's own records (no source) go only where every source goes.
  Record internal;
  internal.message = "i";
  router.route(internal);
  CHECK(all.got.back() == "i");
  CHECK(web_only.got.size() == 3);

  SECTION("a removed sink gets nothing more, and the routes are worked out again") {
    router.removeSink(&all);
    router.route(recordFrom(web1, "w2"));
    CHECK(all.got.size() == 7);
    CHECK(web_only.got.back() == "w2");
  }
  SECTION("a forgotten source is forgotten by every sink, and a new id with the same name routes the same") {
    router.forgetSource(101);
    CHECK(web_only.forgotten == std::vector<uint32_t>{101});
    SourceInfo next_file{103, "web-1", "tail", "access.log.1"};
    router.route(recordFrom(next_file, "w3"));
    CHECK(web_only.got.back() == "w3");
    CHECK(app_only.got.size() == 3);
  }
}

TEST_CASE("a full sink pauses only the sources it takes, and hold() pauses every source") {
  Router router;
  CountingSink clf, drain;
  router.addSink(&clf, SourceSelector({"nginx"}));
  router.addSink(&drain, SourceSelector({"app"}));
  PausableSource nginx("nginx"), app("app");
  router.addSource(&nginx);
  router.addSource(&app);

  clf.pressure(true);
  CHECK(nginx.paused);
  CHECK_FALSE(app.paused);
  CHECK(router.pausedFor("nginx"));
  CHECK_FALSE(router.pausedFor("app"));

  router.hold(true);
  CHECK(app.paused);
  router.hold(false);
  CHECK_FALSE(app.paused);
  CHECK(nginx.paused);

  clf.pressure(false);
  CHECK_FALSE(nginx.paused);

  SECTION("a full sink that is removed no longer holds its sources") {
    clf.pressure(true);
    CHECK(nginx.paused);
    router.removeSink(&clf);
    CHECK_FALSE(nginx.paused);
  }
  SECTION("a source added while its sink is full starts paused and is resumed with the others") {
    drain.pressure(true);
    PausableSource late("app");
    router.addSource(&late);
    CHECK(router.pausedFor(late.info().name));
    late.pause();  // what a source does at start when pausedFor() says so
    drain.pressure(false);
    CHECK_FALSE(late.paused);
    router.removeSource(&late);
  }
}
