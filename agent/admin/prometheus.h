#pragma once
// The Prometheus text exposition format (0.0.4): families declared once with HELP and TYPE, their samples
// grouped under them whatever order they are added in, label values escaped.
#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sluice {

using PromLabels = std::vector<std::pair<std::string_view, std::string_view>>;

// A family as a table declares it: name, Prometheus type, help.
struct PromFamily {
  std::string_view name, type, help;
};

class PrometheusText {
 public:
  // `type`: counter, gauge or histogram. Declaring a family again keeps the first declaration.
  void family(std::string_view name, std::string_view type, std::string_view help);
  void families(std::span<const PromFamily> table) {
    for (const PromFamily& f : table) family(f.name, f.type, f.help);
  }
  // A sample of family `family`; `suffix` is "_bucket", "_sum" or "_count" for histograms, else "".
  void sample(std::string_view family, std::string_view suffix, const PromLabels& labels, double value);
  // A whole histogram from cumulative-per-bucket counts (bounds ascending; counts has one more for +Inf).
  void histogram(std::string_view family, const PromLabels& labels, const double* bounds, size_t n_bounds,
                 const uint64_t* counts, double sum, uint64_t count);
  std::string render() const;

 private:
  struct Family {
    std::string name, type, help;
    std::string samples;
  };
  Family* find(std::string_view name);
  std::vector<Family> families_;
  std::map<std::string, size_t, std::less<>> index_;
};

std::string formatPromValue(double v);

}  // namespace sluice
