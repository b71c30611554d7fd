#pragma once
// CRC-32C (Castagnoli), the checksum of spool records. Uses the SSE4.2 crc32 instruction when the CPU has it,
// a table otherwise; both give the same values (RFC 3720 test vectors in the unit tests).
#include <cstddef>
#include <cstdint>

namespace sluice {

// Extends `crc` (0 to start) over `len` bytes.
uint32_t crc32c(uint32_t crc, const void* data, size_t len);
uint32_t crc32cPortable(uint32_t crc, const void* data, size_t len);
bool crc32cHardware();  // whether crc32c() uses the instruction

}  // namespace sluice
