#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "agent/core/clock.h"
#include "plugins/tail/line_decoder.h"

using namespace sluice;
using namespace sluice::plugins::tail;

namespace {

struct Out {
  std::string text;
  int64_t event_us;
  bool is_stderr;
};

struct Decode {
  Decode(TailFormat f, size_t max = 1024, MalformedLines malformed = MalformedLines::Raw) : decoder(f, max, malformed) {}
  // Feeds lines as if they followed each other in a file.
  void feed(const std::string& line) {
    decoder.feed(line, offset, false, [&](const DecodedMessage& m) { out.push_back({std::string(m.text), m.event_us, m.is_stderr}); });
    offset += line.size() + 1;
  }
  void flush() {
    decoder.flush([&](const DecodedMessage& m) { out.push_back({std::string(m.text), m.event_us, m.is_stderr}); });
  }
  std::vector<std::string> texts() const {
    std::vector<std::string> t;
    for (const auto& o : out) t.push_back(o.text);
    return t;
  }
  LineDecoder decoder;
  std::vector<Out> out;
  uint64_t offset = 0;
};

int64_t micros(const char* ts) { return *parseTimestampMicros(ts); }

}  // namespace

TEST_CASE("docker parts without a trailing newline are joined with the next, with the first part's time") {
  Decode d(TailFormat::Docker);
  d.feed(R"({"log":"part one, ","stream":"stdout","time":"2024-05-01T10:00:00.000001Z"})");
  CHECK(d.out.empty());
  CHECK(d.decoder.heldFrom() == 0);
  d.feed(R"({"log":"part two, ","stream":"stdout","time":"2024-05-01T10:00:00.000002Z"})");
  d.feed(R"({"log":"end\n","stream":"stdout","time":"2024-05-01T10:00:00.000003Z"})");
  REQUIRE(d.out.size() == 1);
  CHECK(d.out[0].text == "part one, part two, end");
  CHECK(d.out[0].event_us == micros("2024-05-01T10:00:00.000001Z"));
  CHECK(d.decoder.heldFrom() == LineDecoder::kNothingHeld);
}

TEST_CASE("CRI P parts are joined until the F, stdout and stderr separately") {
  Decode d(TailFormat::Cri);
  d.feed("2024-05-01T10:00:00.000001Z stdout P out-a ");
  d.feed("2024-05-01T10:00:00.000002Z stderr P err-a ");
  const uint64_t second = d.offset;
  d.feed("2024-05-01T10:00:00.000003Z stdout F out-b");
  CHECK(d.decoder.heldFrom() > 0);
  CHECK(d.decoder.heldFrom() < second);
  d.feed("2024-05-01T10:00:00.000004Z stderr F err-b");
  d.feed("2024-05-01T10:00:00.000005Z stdout F whole");
  REQUIRE(d.out.size() == 3);
  CHECK(d.out[0].text == "out-a out-b");
  CHECK_FALSE(d.out[0].is_stderr);
  CHECK(d.out[0].event_us == micros("2024-05-01T10:00:00.000001Z"));
  CHECK(d.out[1].text == "err-a err-b");
  CHECK(d.out[1].is_stderr);
  CHECK(d.out[2].text == "whole");
  CHECK(d.decoder.heldFrom() == LineDecoder::kNothingHeld);
}

TEST_CASE("malformed lines are counted and forwarded as they are") {
  Decode d(TailFormat::Docker);
  d.feed(R"({"log":"ok\n","stream":"stdout"})");
  d.feed(R"({"log":"broken)");
  d.feed("not json at all");
  CHECK(d.texts() == std::vector<std::string>{"ok", R"({"log":"broken)", "not json at all"});
  CHECK(d.decoder.malformedLines() == 2);
  CHECK(d.out[1].event_us == 0);

  Decode c(TailFormat::Cri);
  c.feed("garbage");
  CHECK(c.texts() == std::vector<std::string>{"garbage"});
  CHECK(c.decoder.malformedLines() == 1);
}

TEST_CASE("with malformed: drop, lines that do not decode are counted and left out") {
  Decode d(TailFormat::Docker, 1024, MalformedLines::Drop);
  d.feed(R"({"log":"ok\n","stream":"stdout"})");
  d.feed(R"({"log":"broken)");
  d.feed(R"({"log":"deep\n","attrs":)" + std::string(130000, '['));
  d.feed(R"({"log":"ok again\n","stream":"stdout"})");
  CHECK(d.texts() == std::vector<std::string>{"ok", "ok again"});
  CHECK(d.decoder.malformedLines() == 2);
  CHECK(d.decoder.droppedLines() == 2);
  CHECK(d.decoder.firstMalformedOffset() == 33);
}

TEST_CASE("an empty docker record is a part that adds nothing") {
  Decode d(TailFormat::Docker);
  d.feed(R"({"log":"","stream":"stdout"})");
  d.feed(R"({"log":"","stream":"stderr"})");
  d.feed(R"({"log":"text\n","stream":"stdout"})");
  d.feed(R"({"log":"\n","stream":"stderr"})");
  CHECK(d.texts() == std::vector<std::string>{"text", ""});
}

TEST_CASE("auto detection does not exhaust the stack on a deeply nested first line") {
  Decode d(TailFormat::Auto);
  const std::string deep = R"({"log":"x\n","a":)" + std::string(130000, '[');
  d.feed(deep);
  CHECK(d.decoder.format() == TailFormat::Raw);
  std::string all;
  for (const auto& t : d.texts()) all += t;
  CHECK(all == deep);  // raw, in pieces of max_line_bytes
  CHECK(d.decoder.malformedLines() == 0);
}

TEST_CASE("auto picks the format from the first line") {
  Decode docker(TailFormat::Auto);
  docker.feed(R"({"log":"a\n","stream":"stderr","time":"2024-05-01T10:00:00Z"})");
  CHECK(docker.decoder.format() == TailFormat::Docker);
  CHECK(docker.out.at(0).text == "a");
  CHECK(docker.out.at(0).is_stderr);

  Decode cri(TailFormat::Auto);
  cri.feed("2024-05-01T10:00:00Z stdout F b");
  CHECK(cri.decoder.format() == TailFormat::Cri);
  CHECK(cri.texts() == std::vector<std::string>{"b"});

  Decode raw(TailFormat::Auto);
  raw.feed("{not json");
  raw.feed("2024-05-01T10:00:00Z stdout F stays raw");
  CHECK(raw.decoder.format() == TailFormat::Raw);
  CHECK(raw.texts() == std::vector<std::string>{"{not json", "2024-05-01T10:00:00Z stdout F stays raw"});
  CHECK(raw.decoder.malformedLines() == 0);
}

TEST_CASE("a joined message longer than max_line_bytes goes out in pieces, counted once") {
  Decode d(TailFormat::Cri, 10);
  d.feed("2024-05-01T10:00:00Z stdout P 0123456");
  d.feed("2024-05-01T10:00:00Z stdout P 789abcd");
  d.feed("2024-05-01T10:00:00Z stdout F efghij");
  std::string all;
  for (const auto& o : d.out) {
    CHECK(o.text.size() <= 10);
    all += o.text;
  }
  CHECK(all == "0123456789abcdefghij");
  CHECK(d.decoder.splitLines() == 1);
  Decode raw(TailFormat::Raw, 4);
  raw.feed("abcdefghij");
  CHECK(raw.texts() == std::vector<std::string>{"abcd", "efgh", "ij"});
  CHECK(raw.decoder.splitLines() == 1);
}

TEST_CASE("flush sends the parts still waiting for their end, oldest first") {
  Decode d(TailFormat::Cri);
  d.feed("2024-05-01T10:00:00Z stderr P first");
  d.feed("2024-05-01T10:00:00Z stdout P second");
  d.flush();
  CHECK(d.texts() == std::vector<std::string>{"first", "second"});
  CHECK(d.out[0].is_stderr);
  CHECK_FALSE(d.decoder.holding());
}
