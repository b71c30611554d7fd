// agent.log_format: json: Sluice's own log as one JSON object per line.
#include <spdlog/logger.h>
#include <spdlog/sinks/ostream_sink.h>

#include <catch2/catch.hpp>
#include <sstream>

#include "agent/formats/json_log_formatter.h"
#include "tests/support/flat_json.h"

using namespace sluice;

TEST_CASE("a JSON log line carries time, level and message, escaped so that it always parses", "[log]") {
  // 2026-12-03T05:04:41.000042Z
  const int64_t micros = 1796274281000042;
  const std::string hostile = "a \"quoted\" \\ path\nnext line\ttab \x01 bad \xff utf-8 \xc3\xa9";
  const std::string line = jsonLogLine(micros, "warn", hostile);
  REQUIRE(line.back() == '\n');
  CHECK(line.find('\n') == line.size() - 1);
  auto obj = parseFlatJsonObject(line);
  REQUIRE(obj);
  CHECK((*obj)["time"] == "2026-12-03T05:04:41.000042Z");
  CHECK((*obj)["level"] == "warn");
  CHECK((*obj)["message"] == "a \"quoted\" \\ path\nnext line\ttab \x01 bad \xef\xbf\xbd utf-8 \xc3\xa9");
  CHECK(obj->count("component") == 0);
}

TEST_CASE("a JSON log line names the sink or source its message is about", "[log]") {
  auto sink = parseFlatJsonObject(jsonLogLine(0, "warn", "sink drain: delivery failed (HTTP 503)"));
  REQUIRE(sink);
  CHECK((*sink)["component"] == "drain");
  CHECK((*sink)["component_kind"] == "sink");
  auto source = parseFlatJsonObject(jsonLogLine(0, "info", "source web-1: read error: EIO"));
  REQUIRE(source);
  CHECK((*source)["component"] == "web-1");
  CHECK((*source)["component_kind"] == "source");
  for (const char* other : {"sink", "sink ", "sink : x", "sinks are fine", "source of truth: none", "http server: x"}) {
    auto o = parseFlatJsonObject(jsonLogLine(0, "info", other));
    REQUIRE(o);
    INFO(other);
    CHECK(o->count("component") == 0);
  }
}

TEST_CASE("the JSON formatter writes every spdlog level under the names of agent.log_level", "[log]") {
  std::ostringstream out;
  auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(out);
  spdlog::logger logger("json-test", sink);
  logger.set_formatter(logFormatter("json"));
  logger.set_level(spdlog::level::trace);
  logger.trace("t");
  logger.debug("d");
  logger.info("i {}", 1);
  logger.warn("w");
  logger.error("e");
  logger.critical("c");
  std::istringstream lines(out.str());
  std::vector<std::string> levels;
  for (std::string l; std::getline(lines, l);) {
    auto obj = parseFlatJsonObject(l);
    REQUIRE(obj);
    levels.push_back((*obj)["level"]);
  }
  CHECK(levels == std::vector<std::string>{"trace", "debug", "info", "warn", "error", "critical"});
  CHECK(logFormatter("text") == nullptr);
}

TEST_CASE("the flat JSON reader of the tests refuses what is not JSON", "[log]") {
  CHECK(parseFlatJsonObject(R"({"a":"b","n":12,"z":null})"));
  CHECK(parseFlatJsonObject(R"({"a":"\ud83d\ude00"})").value()["a"] == "\xf0\x9f\x98\x80");
  for (const char* bad : {"", "{", R"({"a":"b")", R"({"a":"b"} x)", "{\"a\":\"\n\"}", R"({"a":"\x"})",
                          R"({"a":b})", R"({"a":"b",})", R"({"a":"\ud83d"})", R"({"a":"b","a":"c"})"}) {
    INFO(bad);
    CHECK_FALSE(parseFlatJsonObject(bad));
  }
}
