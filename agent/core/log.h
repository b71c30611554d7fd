#pragma once
// The agent's own log: spdlog to stderr. Loss and errors that can repeat per line go through RateLimitedLog so a
// flood of bad input cannot flood the log.
#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace sluice {

// Sets up the default logger on stderr at `level` ("trace".."critical", "off"); false if the level is unknown.
bool setupLogging(std::string_view level);

// Allows one message per `interval`; counts what it suppressed so the next allowed message can say so.
class RateLimitedLog {
 public:
  explicit RateLimitedLog(std::chrono::milliseconds interval = std::chrono::seconds(10)) : interval_(interval) {}

  // True when a message may be logged now; `suppressed` receives how many were held back since the last one.
  bool allow(uint64_t* suppressed);

 private:
  std::chrono::milliseconds interval_;
  std::chrono::steady_clock::time_point last_{};
  bool any_ = false;
  uint64_t suppressed_ = 0;
};

// What an allowed message adds about those held back before it: "" for none, else " (3 similar messages not
// logged)", the noun given in the singular.
std::string suppressedNote(uint64_t suppressed, std::string_view what = "similar message");

}  // namespace sluice
