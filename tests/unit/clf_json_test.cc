#include <rapidjson/document.h>
#include <rapidjson/error/en.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <ctime>
#include <random>

#include "agent/app/agent_config.h"
#include "agent/formats/access_line.h"
#include "agent/formats/ndjson_encoder.h"
#include "agent/formats/clf_json_codec.h"
#include "agent/formats/http_status_text.h"
#include "tests/support/files.h"

using namespace sluice;

namespace {

const std::string kFixtures = std::string(SLUICE_SOURCE_DIR) + "/tests/fixtures/clf/";

std::string toJson(std::string_view line, Schema schema, Unparsed unparsed = Unparsed::Raw) {
  NdjsonEncoder encoder(schema, unparsed);
  ByteBuffer out;
  NdjsonCounts counts;
  encoder.encodeLine(line, out, counts);
  return std::string(out.view());
}

std::string toClf(std::string_view json) {
  std::string out, why;
  INFO(json);
  REQUIRE(jsonToClf(json, out, &why));
  return out;
}

// The JSON parses, strictly: valid UTF-8, one object.
void checkStrictJson(std::string_view json) {
  rapidjson::Document doc;
  doc.Parse<rapidjson::kParseValidateEncodingFlag>(json.data(), json.size());
  INFO(json);
  INFO((doc.HasParseError() ? rapidjson::GetParseError_En(doc.GetParseError()) : "ok"));
  REQUIRE_FALSE(doc.HasParseError());
  REQUIRE(doc.IsObject());
}

AccessFields parse(const std::string& line) {
  AccessFields f;
  INFO(line);
  REQUIRE(parseAccessLine(line, &f));
  return f;
}

}  // namespace

TEST_CASE("clf_json golden files: every format variant, odd lines and malformed lines, in both schemas",
          "[clf_json]") {
  const bool update = std::getenv("SLUICE_UPDATE_GOLDEN") != nullptr;
  for (std::string name : {"variants", "odd", "malformed"}) {
    for (auto [schema, suffix] : {std::pair{Schema::Compact, "compact"}, std::pair{Schema::Ecs, "ecs"}}) {
      std::string golden = kFixtures + name + "." + suffix + ".ndjson";
      std::string got;
      for (const std::string& line : splitLines(readFile(kFixtures + name + ".log"))) {
        std::string json = toJson(line, schema);
        checkStrictJson(std::string_view(json).substr(0, json.size() - 1));
        got += json;
      }
      if (update) writeFile(golden, got);
      INFO(golden);
      CHECK(got == readFile(golden));
    }
  }
}

TEST_CASE("clf_json golden files convert back to the lines they came from", "[clf_json]") {
  for (std::string name : {"variants", "odd", "malformed"}) {
    auto input = splitLines(readFile(kFixtures + name + ".log"));
    for (std::string suffix : {"compact", "ecs"}) {
      auto json = splitLines(readFile(kFixtures + name + "." + suffix + ".ndjson"));
      REQUIRE(json.size() == input.size());
      for (size_t i = 0; i < input.size(); ++i) {
        // Invalid UTF-8 cannot travel in JSON: those bytes come back as Apache's \xHH escapes.
        if (!validUtf8(input[i])) continue;
        CHECK(toClf(json[i]) == input[i]);
      }
    }
  }
}

TEST_CASE("clf_json: a vhost_combined line with a request time, field by field", "[clf_json]") {
  const std::string line =
      "www.example.com:443 2001:db8::7 - bob [06/Feb/2020:07:59:22 +0100] \"GET /a b HTTP/1.1\" 503 - \"-\" "
      "\"curl/8 \\\"x\\\"\" 0.250";
  AccessFields f = parse(line);  // views into `line`
  CHECK(f.has_vhost);
  CHECK(f.vhost == "www.example.com:443");
  CHECK(f.client == "2001:db8::7");
  CHECK(f.ident == "-");
  CHECK(f.user == "bob");
  CHECK(f.time_us == 1580972362000000);
  CHECK(f.tz_minutes == 60);
  CHECK(f.method == "GET");
  CHECK(f.path == "/a b");
  CHECK(f.proto == "HTTP/1.1");
  CHECK(f.status == 503);
  CHECK(f.bytes_dash);
  CHECK(f.combined);
  CHECK(f.referer == "-");
  CHECK(f.user_agent == "curl/8 \\\"x\\\"");
  CHECK(f.rtime == "0.250");
}

TEST_CASE("clf_json: a request time too long for nanoseconds stays text, not an overflowed duration", "[clf_json]") {
  // 18 digits of seconds (or of microseconds) times 10^9 (or 10^3) overflowed: found by fuzzing.
  for (std::string rtime : {"785171172125266.77", "999999999999999999", "9223372036854776"}) {
    std::string line = "192.0.2.1 - - [10/Oct/2000:13:55:36 +0000] \"GET / HTTP/1.1\" 200 1 " + rtime;
    std::string json = toJson(line, Schema::Ecs);
    CHECK(json.find("\"duration\"") == std::string::npos);
    CHECK(json.find("\"request_time\":\"" + rtime + "\"") != std::string::npos);
    CHECK(toClf(json.substr(0, json.size() - 1)) == line);
  }
  CHECK(toJson("h - - [10/Oct/2000:13:55:36 +0000] \"GET /\" 200 1 9223372035.5", Schema::Ecs)
            .find("\"duration\":9223372035500000000") != std::string::npos);
}

TEST_CASE("clf_json: the seed's field names, status as a number, '-' bytes as 0", "[clf_json]") {
  std::string json = toJson("203.0.113.9 - - [10/Mar/2020:12:24:34 +0100] \"GET /status-codes/500 HTTP/1.1\" 500 443",
                            Schema::Compact);
  CHECK(json ==
        "{\"t\":\"2020-03-10T11:24:34.000000Z\",\"ipS\":\"203.0.113.9\",\"vb\":\"GET\",\"path\":\"/status-codes/500\","
        "\"proto\":\"HTTP/1.1\",\"sC\":500,\"sT\":\"Internal Server Error\",\"bOut\":443,\"tz\":\"+0100\"}\n");
  CHECK(toJson("h - - [10/Mar/2020:12:24:34 +0100] \"GET / HTTP/1.1\" 304 -", Schema::Compact)
            .find("\"bOut\":0,\"bOutDash\":true") != std::string::npos);
}

TEST_CASE("clf_json: every byte value in a field gives valid JSON, invalid UTF-8 as escapes", "[clf_json]") {
  std::string ua;
  for (int b = 1; b < 256; ++b) {
    if (b != '\n' && b != '"') ua.push_back(static_cast<char>(b));
  }
  std::string line = "192.0.2.1 - - [10/Oct/2000:13:55:36 +0000] \"GET / HTTP/1.1\" 200 1 \"-\" \"" + ua + "\"";
  for (Schema s : {Schema::Compact, Schema::Ecs}) {
    std::string json = toJson(line, s);
    checkStrictJson(json);
    CHECK(json.find("\\u0001") != std::string::npos);
    CHECK(json.find("\\t") != std::string::npos);
    CHECK(json.find("\\\\xff") != std::string::npos);  // the text \xff, JSON-escaped
    CHECK(json.find('\x01') == std::string::npos);
  }
}

TEST_CASE("clf_json: a line that does not parse is written raw or dropped, and counted", "[clf_json]") {
  NdjsonCounts counts;
  ByteBuffer out;
  NdjsonEncoder raw(Schema::Compact, Unparsed::Raw);
  CHECK_FALSE(raw.encodeLine("GET / oops", out, counts));
  CHECK(out.view() == "{\"raw\":\"GET / oops\"}\n");
  CHECK(counts.unparsed_raw == 1);
  out.clear();
  NdjsonEncoder ecs(Schema::Ecs, Unparsed::Raw);
  ecs.encodeLine("GET / oops", out, counts);
  CHECK(out.view() == "{\"event\":{\"original\":\"GET / oops\"}}\n");
  out.clear();
  NdjsonEncoder drop(Schema::Compact, Unparsed::Drop);
  drop.encodeLine("GET / oops", out, counts);
  CHECK(out.empty());
  CHECK(counts.unparsed_dropped == 1);
}

TEST_CASE("clf_json: a batch's messages are read after their RFC 5424 header", "[clf_json]") {
  auto frame = [](const std::string& msg) { return std::to_string(msg.size()) + " " + msg; };
  std::string access = "192.0.2.1 - - [10/Oct/2000:13:55:36 +0000] \"GET / HTTP/1.1\" 200 1";
  std::string frames = frame("<190>1 2024-01-01T00:00:00.000000Z host app web - - " + access) +
                       frame("<190>1 2024-01-01T00:00:00.000000Z host app web - [x@1 a=\"]\"] " + access) +
                       frame("<190>1 2024-01-01T00:00:00.000000Z host app web - - not access");
  NdjsonEncoder encoder(Schema::Compact, Unparsed::Raw);
  ByteBuffer out;
  NdjsonCounts counts;
  encoder.encodeFrames(frames, out, counts);
  auto got = splitLines(std::string(out.view()));
  REQUIRE(got.size() == 3);
  CHECK(got[0] == got[1]);
  CHECK(got[0].rfind("{\"t\":\"2000-10-10T13:55:36.000000Z\",\"ipS\":\"192.0.2.1\"", 0) == 0);
  CHECK(got[2] == "{\"raw\":\"not access\"}");
  CHECK(counts.lines == 3);
  CHECK(counts.unparsed_raw == 1);
}

TEST_CASE("clf_json: CLF time fields, with fractions, offsets and leap days", "[clf_json]") {
  int64_t us = 0;
  int tz = 0;
  REQUIRE(parseClfTime("29/Feb/2024:23:59:59 +0000", &us, &tz));
  CHECK(us == 1709251199000000);
  REQUIRE(parseClfTime("01/Jan/1970:01:00:00.5 +0100", &us, &tz));
  CHECK(us == 500000);
  CHECK(tz == 60);
  CHECK_FALSE(parseClfTime("29/Feb/2023:00:00:00 +0000", &us, &tz));
  CHECK_FALSE(parseClfTime("10/Oct/2000:24:00:00 +0000", &us, &tz));
  CHECK_FALSE(parseClfTime("10/Oct/2000:13:55:36 +2400", &us, &tz));
  CHECK_FALSE(parseClfTime("10/oct/2000:13:55:36 +0000", &us, &tz));
  std::string s;
  formatClfTime(1709251199000000, -90, s);
  CHECK(s == "29/Feb/2024:22:29:59 -0130");
}

TEST_CASE("clf_json: JSON that cannot become a line says why", "[clf_json]") {
  std::string out, why;
  CHECK_FALSE(jsonToClf("{\"t\":", out, &why));
  CHECK(why.find("not JSON") != std::string::npos);
  CHECK_FALSE(jsonToClf("[1,2]", out, &why));
  CHECK_FALSE(jsonToClf("{\"sC\":200}", out, &why));
  CHECK(why.find("\"t\"") != std::string::npos);
  CHECK_FALSE(jsonToClf("{\"t\":\"yesterday\",\"sC\":200}", out, &why));
  CHECK_FALSE(jsonToClf("{\"t\":\"2020-01-01T00:00:00Z\",\"sC\":2000}", out, &why));
  // Foreign JSON with strings for numbers and without the optional fields still makes a line.
  out.clear();
  REQUIRE(jsonToClf("{\"t\":\"2020-03-10T11:24:34.220324Z\",\"ipS\":\"1.2.3.4\",\"vb\":\"GET\",\"path\":\"/x\","
                    "\"sC\":\"500\",\"bOut\":443,\"h\":\"\",\"rTime\":\"3ms\"}",
                    out, &why));
  CHECK(out == " 1.2.3.4 - - [10/Mar/2020:11:24:34.220324 +0000] \"GET /x\" 500 443 3ms");
}

TEST_CASE("clf_json: JSON nested a million levels deep is refused, not a stack overflow", "[clf_json]") {
  // `sluice convert --from json` reads any line it is given; RapidJSON's recursive reader would follow the nesting.
  const size_t depth = 1000000;
  std::string json = "{\"t\":" + std::string(depth, '[') + std::string(depth, ']') + ",\"sC\":200}";
  std::string out, why;
  CHECK_FALSE(jsonToClf(json, out, &why));
  CHECK(why.find("time") != std::string::npos);
  CHECK_FALSE(jsonToClf(std::string(depth, '['), out, &why));
  CHECK(why.find("not JSON") != std::string::npos);
}

TEST_CASE("clf_json: status texts", "[clf_json]") {
  CHECK(statusText(200) == "OK");
  CHECK(statusText(499) == "Client Closed Request");
  CHECK(statusText(418) == "I'm a teapot");
  CHECK(statusText(299) == "Success");
  CHECK(statusText(0) == "Unknown");
}

namespace {

// A random valid access-log line of any variant, built without the parser's code (strftime for the time).
class LineGenerator {
 public:
  explicit LineGenerator(uint64_t seed) : rng_(seed) {}

  std::string line() {
    std::string out;
    if (chance(25)) out += pick({"www.example.com", "api.example.com:8443", "localhost:80", "shop.example"}) + " ";
    out += client() + " ";
    out += (chance(90) ? std::string("-") : word("abcdefghijklmnopqrstuvwxyz0123456789-", 1, 8)) + " ";
    out += (chance(70) ? std::string("-") : pick({"frank", "j\xc3\xbcrgen", "alice@example.com", "u_1"})) + " ";
    out += "[" + time() + "] ";
    out += "\"" + request() + "\" ";
    out += chance(3) ? std::string("000") : std::to_string(between(100, 599));
    out += " " + (chance(20) ? std::string("-") : std::to_string(between(0, 3) == 0 ? 0 : between(1, 100000000)));
    if (chance(60)) {
      out += " \"" + (chance(40) ? std::string("-") : freeText(true)) + "\"";
      out += " \"" + (chance(10) ? std::string("-") : freeText(false)) + "\"";
    }
    if (chance(30)) out += " " + pick({std::to_string(between(0, 9999999)), "0." + std::to_string(between(0, 999)), "12ms"});
    return out;
  }

 private:
  bool chance(int percent) { return between(0, 99) < percent; }
  int between(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }
  std::string pick(std::initializer_list<std::string> options) {
    auto it = options.begin();
    std::advance(it, between(0, static_cast<int>(options.size()) - 1));
    return *it;
  }
  std::string word(std::string_view alphabet, int min, int max) {
    std::string s;
    int n = between(min, max);
    for (int i = 0; i < n; ++i) s += alphabet[static_cast<size_t>(between(0, static_cast<int>(alphabet.size()) - 1))];
    return s;
  }
  std::string client() {
    switch (between(0, 3)) {
      case 0: {
        return std::to_string(between(0, 255)) + "." + std::to_string(between(0, 255)) + "." +
               std::to_string(between(0, 255)) + "." + std::to_string(between(0, 255));
      }
      case 1: {
        char buf[64];
        snprintf(buf, sizeof buf, "2001:db8:%x::%x:%x", between(0, 0xffff), between(0, 0xffff), between(1, 0xffff));
        return buf;
      }
      case 2:
        return word("abcdefghijklmnopqrstuvwxyz", 3, 10) + ".example.net";
      default:
        return "-";
    }
  }
  std::string time() {
    time_t t = static_cast<time_t>(std::uniform_int_distribution<int64_t>(0, 4102444799)(rng_));
    int offset = between(-48, 56) * 15;  // -12:00 .. +14:00
    time_t local = t + offset * 60;
    struct tm tm {};
    gmtime_r(&local, &tm);
    char buf[64];
    if (chance(5)) tm.tm_sec = 60;  // a leap second (strftime writes what it is given)
    strftime(buf, sizeof buf, "%d/%b/%Y:%H:%M:%S", &tm);
    std::string text = buf;
    if (chance(30)) {
      // A fraction of 1 to 6 digits, trailing zeros and all zeros included (".1123", ".000", ".100000").
      text += "." + word(chance(10) ? "0" : "0123456789", 1, 6);
    }
    char tz[32];
    char sign = offset < 0 || (offset == 0 && chance(50)) ? '-' : '+';
    snprintf(tz, sizeof tz, "%c%02d%02d", sign, std::abs(offset) / 60, std::abs(offset) % 60);
    return text + " " + tz;
  }
  // Paths: spaces, quotes (never a quote followed by a space), backslash escapes, UTF-8, percent escapes.
  std::string path(bool spaces) {
    std::string s = "/";
    int n = between(0, 30);
    for (int i = 0; i < n; ++i) {
      switch (between(0, 9)) {
        case 0:
          if (spaces && s.back() != '"') s += ' ';
          break;
        case 1:
          s += '"';
          s += 'q';
          break;
        case 2:
          s += "\\x16";
          break;
        case 3:
          s += "caf\xc3\xa9";
          break;
        case 4:
          s += "%20";
          break;
        case 5:
          s += "?a=1&b=";
          break;
        default:
          s += word("abcdefghijklmnopqrstuvwxyz0123456789-._~/", 1, 5);
      }
    }
    return s;
  }
  std::string request() {
    if (chance(4)) return "-";
    std::string method = pick({"GET", "POST", "PUT", "DELETE", "HEAD", "OPTIONS", "PATCH", "PROPFIND"});
    if (chance(3)) return method;
    if (chance(10)) return method + " " + path(false);  // no protocol: then no spaces either
    return method + " " + path(true) + " " + pick({"HTTP/1.0", "HTTP/1.1", "HTTP/2.0"});
  }
  // Referers and user agents: spaces, parentheses, quotes and escapes, a tab; a referer never holds `" "`.
  std::string freeText(bool referer) {
    std::string s;
    int n = between(1, 40);
    for (int i = 0; i < n; ++i) {
      switch (between(0, 9)) {
        case 0:
          s += ' ';
          break;
        case 1:
          s += referer ? "\\\"" : "\"";
          break;
        case 2:
          s += "(X11; Linux)";
          break;
        case 3:
          s += "\xe6\x97\xa5";  // 日
          break;
        case 4:
          s += '\t';
          break;
        default:
          s += word("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789/.;:=", 1, 6);
      }
    }
    return s;
  }

  std::mt19937_64 rng_;
};

}  // namespace

TEST_CASE("clf_json property: CLF -> JSON -> CLF gives back every generated line, in both schemas", "[clf_json]") {
  LineGenerator gen(20240601);
  NdjsonEncoder compact(Schema::Compact, Unparsed::Raw), ecs(Schema::Ecs, Unparsed::Raw);
  size_t checked = 0;
  for (int i = 0; i < 10000; ++i) {
    const std::string line = gen.line();
    AccessFields f;
    if (!parseAccessLine(line, &f)) FAIL("does not parse: " << line);
    for (NdjsonEncoder* encoder : {&compact, &ecs}) {
      ByteBuffer json;
      NdjsonCounts counts;
      encoder->encodeLine(line, json, counts);
      std::string back, why;
      std::string_view object = json.view().substr(0, json.size() - 1);
      if (!jsonToClf(object, back, &why)) FAIL(why << " for " << object);
      if (back != line) FAIL("line:  " << line << "\njson:  " << object << "\nback:  " << back);
      ++checked;
    }
  }
  CHECK(checked == 20000);
}
