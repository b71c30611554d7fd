#include <catch2/catch.hpp>

#include "agent/core/bytes.h"

using namespace sluice;

// An empty docker record ({"log":""}) appends zero bytes to a buffer that never held any: memcpy must not see the
// buffer's null pointer (undefined behaviour, which the sanitizer build stops on).
TEST_CASE("appending nothing to an empty byte buffer is a no-op") {
  ByteBuffer b;
  REQUIRE(b.data() == nullptr);
  b.append(std::string_view());
  b.append("", 0);
  CHECK(b.empty());
  CHECK(b.view().empty());
  b.append("abc");
  b.append(std::string_view());
  CHECK(b.view() == "abc");
}
