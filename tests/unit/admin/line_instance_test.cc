// A line's instance (a tail source's file) through the admin API: the ring, the archive, the filter, the formats.
#include <catch2/catch.hpp>

#include <cstring>
#include <tuple>

#include "agent/admin/archive_format.h"
#include "agent/admin/log_filter.h"
#include "agent/admin/log_format.h"
#include "agent/admin/recent_lines.h"
#include "tests/support/records.h"

using namespace sluice;

namespace {

template <class T>
void put(std::string& out, T v) {
  char b[sizeof v];
  std::memcpy(b, &v, sizeof v);
  out.append(b, sizeof v);
}

// A record as the archive wrote it before instances existed (flags 0 or 1, nothing after the type).
std::string oldRecord(int64_t received_us, uint8_t flags, std::string_view source, std::string_view type,
                      std::string_view message) {
  std::string body;
  put<int64_t>(body, received_us);
  put<int64_t>(body, 0);
  put<uint8_t>(body, 6);
  put<uint8_t>(body, flags);
  put<uint16_t>(body, static_cast<uint16_t>(source.size()));
  put<uint16_t>(body, static_cast<uint16_t>(type.size()));
  body.append(source).append(type).append(message);
  std::string out;
  put<uint32_t>(out, static_cast<uint32_t>(body.size()));
  return out + body;
}

}  // namespace

TEST_CASE("archive records written before instances existed still decode, and are written the same way", "[admin]") {
  const std::string old = oldRecord(1585479662120000, 0, "app", "stdin", "hello") +
                          oldRecord(1585479662120001, 1, "web-1", "logplex", "<190>1 - - - - - - x");
  LogLine l;
  size_t used = 0;
  REQUIRE(decodeArchiveRecord(old, &l, &used) == ArchiveDecode::Ok);
  CHECK(l.source == "app");
  CHECK(l.type == "stdin");
  CHECK(l.instance.empty());
  CHECK(l.message == "hello");
  CHECK_FALSE(l.preformatted);
  size_t used2 = 0;
  REQUIRE(decodeArchiveRecord(std::string_view(old).substr(used), &l, &used2) == ArchiveDecode::Ok);
  CHECK(used + used2 == old.size());
  CHECK(l.preformatted);
  CHECK(l.instance.empty());
  CHECK(l.message == "<190>1 - - - - - - x");
  // A line without an instance is written as before: the archive of a run without tail sources is unchanged.
  SourceInfo app{1, "app", "stdin"};
  ByteBuffer b;
  encodeArchiveRecord(recordOf(app, "hello", 1585479662120000), lineSourceOf(&app), b);
  CHECK(b.view() == std::string_view(old).substr(0, used));
}

TEST_CASE("an archive record with an instance round-trips, and a bad instance length is corrupt", "[admin]") {
  SourceInfo nginx{2, "nginx", "tail", "access.log"};
  Record r = recordOf(nginx, "GET / 200", 1585479662120000);
  r.severity = Severity::Warning;
  ByteBuffer b;
  encodeArchiveRecord(r, lineSourceOf(&nginx), b);
  CHECK(b.size() == archiveRecordSize(r, lineSourceOf(&nginx)));
  CHECK(b.size() == kArchiveHeaderBytes + 5 + 4 + 2 + 10 + 9);
  LogLine l;
  size_t used = 0;
  REQUIRE(decodeArchiveRecord(b.view(), &l, &used) == ArchiveDecode::Ok);
  CHECK(used == b.size());
  CHECK(l.source == "nginx");
  CHECK(l.type == "tail");
  CHECK(l.instance == "access.log");
  CHECK(l.message == "GET / 200");
  CHECK(l.severity == Severity::Warning);
  CHECK_FALSE(l.preformatted);
  // Cut anywhere, it needs more; never a read beyond what it was given.
  for (size_t n = 0; n < b.size(); ++n) {
    CHECK(decodeArchiveRecord(b.view().substr(0, n), &l, &used) == ArchiveDecode::NeedMore);
  }

  const size_t flags_at = 4 + 8 + 8 + 1;
  const size_t length_at = kArchiveHeaderBytes + 5 + 4;
  std::string bytes(b.view());
  SECTION("an instance longer than the record") {
    bytes[length_at] = '\x40';
    CHECK(decodeArchiveRecord(bytes, &l, &used) == ArchiveDecode::Corrupt);
  }
  SECTION("the flag with an empty instance (never written)") {
    bytes[length_at] = '\0';
    bytes[length_at + 1] = '\0';
    CHECK(decodeArchiveRecord(bytes, &l, &used) == ArchiveDecode::Corrupt);
  }
  SECTION("the flag with no room for the length") {
    std::string cut = oldRecord(1, 2, "nginx", "tail", "x");
    CHECK(decodeArchiveRecord(cut, &l, &used) == ArchiveDecode::Corrupt);
  }
  SECTION("a flag this version does not know") {
    bytes[flags_at] = '\x04';
    CHECK(decodeArchiveRecord(bytes, &l, &used) == ArchiveDecode::Corrupt);
  }
}

TEST_CASE("the ring keeps each line's instance, its source's name and type", "[admin]") {
  SourceInfo access{11, "nginx", "tail", "access.log"};
  SourceInfo error{12, "nginx", "tail", "error.log"};
  SourceInfo reopened{13, "nginx", "tail", "access.log"};  // the same file under a new id, after a rotation
  SourceInfo app{14, "app", "stdin"};
  RecentLines ring(10, 1 << 20);
  ring.add(recordOf(access, "a1"));
  ring.add(recordOf(error, "e1"));
  ring.add(recordOf(reopened, "a2"));
  ring.add(recordOf(app, "x"));
  LogLine l;
  REQUIRE(ring.get(1, &l));
  CHECK((l.source == "nginx" && l.type == "tail" && l.instance == "access.log" && l.message == "a1"));
  REQUIRE(ring.get(2, &l));
  CHECK((l.source == "nginx" && l.instance == "error.log" && l.message == "e1"));
  LogLine a2;
  REQUIRE(ring.get(3, &a2));
  CHECK(a2.instance == "access.log");
  REQUIRE(ring.get(1, &l));
  CHECK(a2.instance.data() == l.instance.data());  // one copy of each name
  REQUIRE(ring.get(4, &l));
  CHECK((l.source == "app" && l.type == "stdin" && l.instance.empty()));
}

TEST_CASE("a filter finds a tail source's lines by its name, its type or one of its files", "[admin]") {
  auto f = [](const char* text) { return LogFilter::parse(text).value(); };
  // {filter, file, whether it matches}, all on source nginx of type tail: by its name, its type, a file's name or
  // a prefix of it, as a name is matched.
  const std::tuple<const char*, const char*, bool> on_nginx[] = {
      {"nginx", "access.log", true},  {"tail", "access.log", true},    {"app", "access.log", false},
      {"access", "access.log", true}, {"access", "accesses.log", false},
  };
  for (const auto& [filter, file, matches] : on_nginx) {
    INFO("filter '" << filter << "' on " << file);
    CHECK(f(filter).matches("nginx", "tail", file) == matches);
  }
  CHECK(f("web-7f9c").matches("k8s", "tail", "web-7f9c/app"));
  // Each file decided (and cached) on its own.
  LogFilter access = f("access.log");
  CHECK(access.matches("nginx", "tail", "access.log"));
  CHECK_FALSE(access.matches("nginx", "tail", "error.log"));
  CHECK(access.matches("nginx", "tail", "access.log"));
  CHECK_FALSE(access.matches("app", "stdin"));
  // A regular expression is searched in the file too.
  LogFilter re = f("^error\\.");
  CHECK(re.matches("nginx", "tail", "error.log"));
  CHECK_FALSE(re.matches("nginx", "tail", "access.log"));
  CHECK_FALSE(re.matches("error", "stdin"));
  // The LogLine overload reads the same fields.
  LogLine line;
  line.source = "nginx";
  line.type = "tail";
  line.instance = "error.log";
  CHECK(re.matches(line));
}

TEST_CASE("a line with an instance shows it: [SOURCE FILE] in text, file and procid in JSON", "[admin]") {
  LineFormatter fmt("host-1");
  LogLine l = logLineOf("nginx", "tail", "GET / 200", "access.log");
  std::string out;
  fmt.append(l, LogFormat::Text, out);
  CHECK(out == "2020-03-29T11:01:02.120000Z [nginx access.log] GET / 200\n");
  out.clear();
  fmt.append(l, LogFormat::Ndjson, out);
  CHECK(out == "{\"received\":\"2020-03-29T11:01:02.120000Z\",\"source\":\"nginx\",\"type\":\"tail\","
               "\"file\":\"access.log\",\"time\":\"2020-03-29T11:01:02.120000Z\",\"severity\":\"info\","
               "\"hostname\":\"host-1\",\"procid\":\"access.log\",\"message\":\"GET / 200\"}\n");
  out.clear();
  fmt.append(l, LogFormat::Raw, out);
  CHECK(out == "GET / 200\n");
  // Without an instance: no file field, the source's name as procid, "[SOURCE]" as before.
  l.instance = {};
  out.clear();
  fmt.append(l, LogFormat::Ndjson, out);
  CHECK(out.find("\"file\"") == std::string::npos);
  CHECK(out.find("\"procid\":\"nginx\"") != std::string::npos);
  out.clear();
  fmt.appendText(l, out);
  CHECK(out == "2020-03-29T11:01:02.120000Z [nginx] GET / 200");
  // A relayed frame keeps its own PROCID; the file (if any) is still its own field.
  l.instance = "x/y";
  l.preformatted = true;
  l.message = "<134>1 2013-03-27T20:02:24+00:00 h app proc - - msg";
  out.clear();
  fmt.append(l, LogFormat::Ndjson, out);
  CHECK(out.find("\"file\":\"x/y\"") != std::string::npos);
  CHECK(out.find("\"procid\":\"proc\"") != std::string::npos);
}
