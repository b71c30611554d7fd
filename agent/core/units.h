#pragma once
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "agent/core/result.h"

namespace sluice {

// "512", "512B", "64KiB", "16MiB", "1GiB", "2TiB" (binary) and "1KB", "1MB", "1GB" (decimal); "1.5MiB" allowed.
Result<uint64_t> parseSize(std::string_view text);
// "0", "250ms", "5s", "1m", "1m30s", "2h", "7d", "1.5s", "100us". A bare number other than 0 is an error: the
// unit must be explicit.
Result<std::chrono::milliseconds> parseDuration(std::string_view text);

std::string formatSize(uint64_t bytes);                      // "16MiB", "1.5KiB", "100B"
std::string formatDuration(std::chrono::milliseconds d);    // "200ms", "30s", "1m30s"
// For people, not for parsing back: the two largest units, rounded ("1m5s", not "1m5s363ms"; "363ms"; "2h1m").
std::string roughDuration(std::chrono::milliseconds d);
// "1 line", "1,204 lines": a count with thousands separators and the noun in the right number (the plural is the
// singular + "s" unless given).
std::string countOf(uint64_t n, std::string_view singular, std::string_view plural = {});

}  // namespace sluice
