#include "agent/admin/app_metrics_ring.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace sluice {
namespace {

constexpr size_t kRowFloats = AppMetricsRing::kMaxServers * kAppMetricCount;
constexpr float kNaNf = std::numeric_limits<float>::quiet_NaN();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

int64_t floorDiv(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0)) ? 1 : 0); }

}  // namespace

AppMetricValues noAppMetricValues() {
  AppMetricValues v;
  v.fill(kNaN);
  return v;
}

double percentile90(std::vector<double>& values) {
  if (values.empty()) return kNaN;
  std::sort(values.begin(), values.end());
  // Nearest rank: ceil(0.9 n), computed in integers (9n/10 rounded up) so 10 values give the 9th.
  const size_t rank = (values.size() * 9 + 9) / 10;
  return values[rank - 1];
}

AppMetricsRing::AppMetricsRing(size_t rounds)
    : times_(std::max<size_t>(rounds, 1), 0),
      columns_(kMaxServers),
      servers_(kMaxServers),
      last_round_(kMaxServers, 0) {
  // Keys are short; reserving them here keeps add() from allocating for the usual names.
  for (std::string& s : servers_) s.reserve(256);
}

size_t AppMetricsRing::roundsFor(int64_t keep_us, int64_t interval_us) {
  if (interval_us <= 0) return kMaxRounds;
  const int64_t n = (keep_us + interval_us - 1) / interval_us;
  return static_cast<size_t>(std::clamp<int64_t>(n, 1, static_cast<int64_t>(kMaxRounds)));
}

size_t AppMetricsRing::memoryBytes() const {
  size_t bytes = sizeof(*this) + times_.capacity() * sizeof(int64_t) + last_round_.capacity() * sizeof(uint64_t) +
                 columns_.capacity() * sizeof(columns_[0]);
  for (const auto& column : columns_) {
    if (column) bytes += capacity() * kAppMetricCount * sizeof(float);
  }
  for (const std::string& s : servers_) bytes += sizeof(std::string) + s.capacity();
  return bytes;
}

int64_t AppMetricsRing::oldestUs() const { return empty() ? 0 : times_[at(0)]; }
int64_t AppMetricsRing::newestUs() const { return empty() ? 0 : times_[at(count_ - 1)]; }

size_t AppMetricsRing::serverIndex(const std::string& key, uint64_t round) {
  size_t free_slot = kMaxServers;
  for (size_t i = 0; i < kMaxServers; ++i) {
    if (servers_[i] == key) return i;
    // A place is free when it was never used or when no kept row holds its values any more.
    const bool unused = servers_[i].empty() || last_round_[i] + capacity() <= round;
    if (unused && free_slot == kMaxServers) free_slot = i;
  }
  if (free_slot == kMaxServers) return kMaxServers;
  if (!columns_[free_slot]) {
    // A reused column needs nothing: every round wrote NaN over its rows where it had no values.
    const size_t n = capacity() * kAppMetricCount;
    columns_[free_slot].reset(new float[n]);
    std::fill(columns_[free_slot].get(), columns_[free_slot].get() + n, kNaNf);
  }
  servers_[free_slot].assign(key);
  return free_slot;
}

size_t AppMetricsRing::add(int64_t t_us, const std::vector<AppServerValues>& servers) {
  const uint64_t round = ++rounds_;
  if (!empty() && t_us < newestUs()) t_us = newestUs();  // a clock stepped back: keep the rows in order
  for (auto& column : columns_) {
    if (column) std::fill_n(column.get() + head_ * kAppMetricCount, kAppMetricCount, kNaNf);
  }
  times_[head_] = t_us;
  size_t left_out = 0;
  for (const AppServerValues& s : servers) {
    const size_t i = serverIndex(s.key, round);
    if (i == kMaxServers) {
      ++left_out;
      continue;
    }
    last_round_[i] = round;
    float* row = columns_[i].get() + head_ * kAppMetricCount;
    for (size_t m = 0; m < kAppMetricCount; ++m) row[m] = static_cast<float>(s.values[m]);
  }
  head_ = (head_ + 1) % capacity();
  count_ = std::min(count_ + 1, capacity());
  return left_out;
}

std::vector<AppMetricsRing::Window> AppMetricsRing::aggregate(int64_t from_us, int64_t to_us,
                                                              int64_t resolution_us) const {
  std::vector<Window> out;
  if (resolution_us <= 0) return out;
  std::vector<double> sums(kRowFloats, 0);
  std::vector<uint32_t> counts(kRowFloats, 0);
  std::vector<double> across;
  across.reserve(kMaxServers);
  int64_t bucket = INT64_MIN;
  auto flush = [&] {
    if (bucket == INT64_MIN) return;
    Window w;
    w.start_s = floorDiv(bucket, 1000000);
    for (size_t m = 0; m < kAppMetricCount; ++m) {
      across.clear();
      for (size_t s = 0; s < kMaxServers; ++s) {
        const size_t k = s * kAppMetricCount + m;
        if (counts[k] > 0) across.push_back(sums[k] / counts[k]);
      }
      double total = 0;
      for (double v : across) total += v;
      w.avg[m] = across.empty() ? kNaN : total / static_cast<double>(across.size());
      w.p90[m] = percentile90(across);
    }
    out.push_back(w);
    std::fill(sums.begin(), sums.end(), 0);
    std::fill(counts.begin(), counts.end(), 0);
  };
  for (size_t i = 0; i < count_; ++i) {
    const size_t r = at(i);
    const int64_t t = times_[r];
    if (t < from_us || t >= to_us) continue;
    const int64_t b = floorDiv(t, resolution_us) * resolution_us;
    if (b != bucket) {
      flush();
      bucket = b;
    }
    for (size_t s = 0; s < kMaxServers; ++s) {
      if (!columns_[s]) continue;
      const float* row = columns_[s].get() + r * kAppMetricCount;
      for (size_t m = 0; m < kAppMetricCount; ++m) {
        if (std::isnan(row[m])) continue;
        sums[s * kAppMetricCount + m] += row[m];
        ++counts[s * kAppMetricCount + m];
      }
    }
  }
  flush();
  return out;
}

}  // namespace sluice
