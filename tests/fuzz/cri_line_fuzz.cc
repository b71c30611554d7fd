// libFuzzer target: a CRI log line ("2024-05-01T10:00:00.123456789Z stdout F text") and the RFC 3339 timestamps
// of container runtimes. It must never crash, read out of bounds or hang; the message lies inside the line; the
// per-second cache of EventTimeParser gives the same time as the plain parser, whatever line came before.
#include <string>
#include <string_view>

#include "agent/core/clock.h"
#include "plugins/tail/cri.h"
#include "plugins/tail/event_time.h"
#include "tests/fuzz/fuzz_check.h"

namespace {

void checkTime(sluice::plugins::tail::EventTimeParser& cached, std::string_view text) {
  int64_t fast = cached.parse(text);
  sluice::Result<int64_t> slow = sluice::parseTimestampMicros(text);
  if (fast != 0) {
    FUZZ_CHECK(slow.ok() && *slow == fast);
  } else if (slow.ok()) {
    FUZZ_CHECK(*slow == 0);  // 0 stands for "not a timestamp": the epoch itself reads as 0 too
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view line = sluice::fuzz::text(data, size);
  sluice::plugins::tail::EventTimeParser times;  // fresh per input, so that a crash reproduces from its file alone

  sluice::plugins::tail::CriLine cached;
  bool ok_cached = sluice::plugins::tail::parseCriLine(line, cached, &times);
  sluice::plugins::tail::CriLine plain;
  bool ok_plain = sluice::plugins::tail::parseCriLine(line, plain, nullptr);
  FUZZ_CHECK(ok_cached == ok_plain || (!ok_cached && ok_plain && plain.time_us == 0));
  if (ok_cached) {
    FUZZ_CHECK(sluice::fuzz::inside(cached.message, line));
    FUZZ_CHECK(cached.message.data() == plain.message.data() && cached.message.size() == plain.message.size());
    FUZZ_CHECK(cached.time_us == plain.time_us);
    FUZZ_CHECK(cached.is_stderr == plain.is_stderr && cached.partial == plain.partial);
  }

  // Each space-separated word as a timestamp, against a cache that saw the previous word (same second, other
  // fraction or zone is where a cache goes wrong).
  std::string_view rest = line;
  while (!rest.empty()) {
    size_t sp = rest.find(' ');
    checkTime(times, rest.substr(0, sp));
    if (sp == std::string_view::npos) break;
    rest.remove_prefix(sp + 1);
  }
  return 0;
}
