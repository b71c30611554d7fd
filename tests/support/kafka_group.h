#pragma once
// What a consumer group committed, as the cluster says it (an rdkafka client of the test's own, not Sluice's):
// the group's committed offset and the end offset of each partition of a topic.
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace sluice {

struct GroupOffsets {
  std::vector<int64_t> committed;   // per partition; -1 when the group committed none
  std::vector<int64_t> end;         // per partition: the high watermark
  std::string error;                // "" when both were read

  int64_t committedTotal() const;
  int64_t endTotal() const;
  // Every partition's committed offset is its end (an empty partition needs none).
  bool allCommitted() const;
};

GroupOffsets readGroupOffsets(const std::string& bootstrap, const std::string& group, const std::string& topic,
                              int partitions, std::chrono::milliseconds timeout = std::chrono::seconds(10));

}  // namespace sluice
