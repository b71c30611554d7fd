#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "agent/buffer/crc32c.h"

using namespace sluice;

TEST_CASE("CRC-32C matches the RFC 3720 test vectors, with and without SSE4.2", "[spool]") {
  std::vector<unsigned char> zeros(32, 0), ones(32, 0xff), inc(32), dec(32);
  for (int i = 0; i < 32; ++i) {
    inc[i] = static_cast<unsigned char>(i);
    dec[i] = static_cast<unsigned char>(31 - i);
  }
  for (auto fn : {&crc32c, &crc32cPortable}) {
    CHECK(fn(0, zeros.data(), 32) == 0x8A9136AAu);
    CHECK(fn(0, ones.data(), 32) == 0x62A8AB43u);
    CHECK(fn(0, inc.data(), 32) == 0x46DD794Eu);
    CHECK(fn(0, dec.data(), 32) == 0x113FDB5Cu);
    CHECK(fn(0, "123456789", 9) == 0xE3069283u);
  }
}

TEST_CASE("CRC-32C can be computed in pieces and every length agrees", "[spool]") {
  std::string s;
  for (int i = 0; i < 1000; ++i) s += static_cast<char>(i * 31 + 7);
  for (size_t len = 0; len < s.size(); len += 37) {
    uint32_t whole = crc32c(0, s.data(), len);
    CHECK(whole == crc32cPortable(0, s.data(), len));
    size_t half = len / 3;
    CHECK(crc32c(crc32c(0, s.data(), half), s.data() + half, len - half) == whole);
  }
}
