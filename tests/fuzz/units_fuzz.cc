// libFuzzer target: sizes ("64KiB", "1.5MiB") and durations ("250ms", "1m30s") from the config file. It must never
// crash, overflow or hang; what parses formats to a text that parses back to the same value.
#include <chrono>
#include <string>
#include <string_view>

#include "agent/core/units.h"
#include "tests/fuzz/fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text = sluice::fuzz::text(data, size);
  sluice::Result<uint64_t> bytes = sluice::parseSize(text);
  if (bytes.ok()) {
    std::string s = sluice::formatSize(*bytes);
    sluice::Result<uint64_t> again = sluice::parseSize(s);
    FUZZ_CHECK(again.ok() && *again == *bytes);
  } else {
    FUZZ_CHECK(!bytes.error().message.empty());
  }
  sluice::Result<std::chrono::milliseconds> d = sluice::parseDuration(text);
  if (d.ok()) {
    FUZZ_CHECK(d->count() >= 0);
    std::string s = sluice::formatDuration(*d);
    sluice::Result<std::chrono::milliseconds> again = sluice::parseDuration(s);
    FUZZ_CHECK(again.ok() && *again == *d);
  } else {
    FUZZ_CHECK(!d.error().message.empty());
  }
  return 0;
}
