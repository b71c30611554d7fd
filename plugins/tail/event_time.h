#pragma once
// Container runtimes stamp every line with RFC 3339 time in nanoseconds ("2024-05-01T10:00:00.123456789Z"), and
// consecutive lines nearly always share the second: the part up to the seconds (and the zone) is parsed once per
// second, the fraction on every line.
#include <cstdint>
#include <string>
#include <string_view>

namespace sluice::plugins::tail {

class EventTimeParser {
 public:
  // Microseconds since the epoch (the fraction rounded to six digits), or 0 when `text` is not a timestamp.
  int64_t parse(std::string_view text);

 private:
  static constexpr size_t kPrefix = 19;   // "YYYY-MM-DDTHH:MM:SS"
  std::string prefix_;
  std::string zone_;                     // what follows the fraction: "Z", "+02:00"
  int64_t base_us_ = 0;                  // the prefix and zone without a fraction
};

}  // namespace sluice::plugins::tail
