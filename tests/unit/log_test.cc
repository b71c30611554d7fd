#include <catch2/catch.hpp>

#include "agent/core/log.h"

using namespace sluice;

TEST_CASE("a rate-limited log allows one message per interval and counts the ones it held back", "[log]") {
  RateLimitedLog log(std::chrono::hours(1));
  uint64_t suppressed = 99;
  CHECK(log.allow(&suppressed));
  CHECK(suppressed == 0);
  CHECK_FALSE(log.allow(&suppressed));
  CHECK_FALSE(log.allow(&suppressed));
  RateLimitedLog every_time(std::chrono::milliseconds(0));
  CHECK(every_time.allow(&suppressed));
  CHECK(every_time.allow(&suppressed));
}

TEST_CASE("the note on held-back messages counts them with their noun", "[log]") {
  CHECK(suppressedNote(0).empty());
  CHECK(suppressedNote(1) == " (1 similar message not logged)");
  CHECK(suppressedNote(1204) == " (1,204 similar messages not logged)");
  CHECK(suppressedNote(2, "earlier reconnection") == " (2 earlier reconnections not logged)");
}
