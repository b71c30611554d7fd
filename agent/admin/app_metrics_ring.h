#pragma once
// The last hours of the app's metrics (GET /metrics/app): one row per sampling round, each row a value per
// "server" (Sluice itself, each exec source's process tree, each cgroup, each filesystem) and per metric. A
// server's column of rows is allocated whole when the server is first seen (at most kMaxServers times); rounds
// never allocate, so the memory stays what memoryBytes() says however long the agent runs, and an agent that
// watches only itself holds one column, not sixteen.
#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace sluice {

enum AppMetric : size_t {
  kCpuPercent,
  kMemoryRssBytes,
  kOpenFds,
  kDiskReadBytesPerSecond,
  kDiskWriteBytesPerSecond,
  kFilesystemUsedBytes,
  kFilesystemAvailableBytes,
  kAppMetricCount
};
// The metric's name with its unit: the keys of GET /metrics/app (with ".avg" and ".p90").
inline constexpr std::array<std::string_view, kAppMetricCount> kAppMetricNames = {
    "cpu_percent",          "memory_rss_bytes",      "open_fds",
    "disk_read_bytes_per_second", "disk_write_bytes_per_second", "filesystem_used_bytes",
    "filesystem_available_bytes"};

// NaN where a server has no such figure (a filesystem has no CPU; a first round has no rates yet).
using AppMetricValues = std::array<double, kAppMetricCount>;
AppMetricValues noAppMetricValues();

struct AppServerValues {
  std::string key;  // stable across rounds: "sluice", "exec:web", "cgroup:/sys/fs/...", "fs:/var"
  AppMetricValues values;
};

class AppMetricsRing {
 public:
  static constexpr size_t kMaxServers = 16;

  explicit AppMetricsRing(size_t rounds);
  // The rounds to keep `keep` at one per `interval`, at most kMaxRounds (a shorter interval keeps less time).
  static constexpr size_t kMaxRounds = 21600;
  static size_t roundsFor(int64_t keep_us, int64_t interval_us);

  // One round at `t_us` (not earlier than the last). Servers past kMaxServers are left out; returns how many.
  size_t add(int64_t t_us, const std::vector<AppServerValues>& servers);

  size_t capacity() const { return times_.size(); }
  size_t size() const { return count_; }
  bool empty() const { return count_ == 0; }
  int64_t oldestUs() const;
  int64_t newestUs() const;
  size_t memoryBytes() const;

  // A window of `resolution` (aligned on the Unix epoch) holding rounds in [from, to): for every metric, each
  // server's mean over the window, then the mean and the 90th percentile (nearest rank) of those across the
  // servers that had it. NaN when none had it.
  struct Window {
    int64_t start_s = 0;
    AppMetricValues avg;
    AppMetricValues p90;
  };
  std::vector<Window> aggregate(int64_t from_us, int64_t to_us, int64_t resolution_us) const;

 private:
  size_t serverIndex(const std::string& key, uint64_t round);
  size_t at(size_t i) const { return (head_ + capacity() - count_ + i) % capacity(); }  // i-th oldest row

  std::vector<int64_t> times_;
  // Per server: rows × kAppMetricCount, NaN where it had no value; nullptr until the server is first seen.
  std::vector<std::unique_ptr<float[]>> columns_;
  std::vector<std::string> servers_; // kMaxServers keys ("" = free)
  std::vector<uint64_t> last_round_; // the round each server last had values in
  size_t head_ = 0;                  // where the next row goes
  size_t count_ = 0;
  uint64_t rounds_ = 0;
};

// The 90th percentile by nearest rank: the smallest value with at least 90% of the values at or below it
// (sorts `values`). NaN for none.
double percentile90(std::vector<double>& values);

}  // namespace sluice
