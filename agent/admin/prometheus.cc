#include "agent/admin/prometheus.h"

#include <cmath>
#include <cstdio>

namespace sluice {

std::string formatPromValue(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  if (v == std::floor(v) && std::fabs(v) < 1e15) {
    char buf[32];
    snprintf(buf, sizeof buf, "%.0f", v);
    return buf;
  }
  char buf[32];
  snprintf(buf, sizeof buf, "%.9g", v);
  return buf;
}

void PrometheusText::family(std::string_view name, std::string_view type, std::string_view help) {
  if (index_.find(name) != index_.end()) return;
  index_.emplace(std::string(name), families_.size());
  families_.push_back(Family{std::string(name), std::string(type), std::string(help), {}});
}

PrometheusText::Family* PrometheusText::find(std::string_view name) {
  auto it = index_.find(name);
  return it == index_.end() ? nullptr : &families_[it->second];
}

void PrometheusText::sample(std::string_view family_name, std::string_view suffix, const PromLabels& labels,
                            double value) {
  Family* f = find(family_name);
  if (f == nullptr) {
    family(family_name, "untyped", "");
    f = find(family_name);
  }
  std::string& out = f->samples;
  out.append(family_name).append(suffix);
  if (!labels.empty()) {
    out.push_back('{');
    bool first = true;
    for (const auto& [k, v] : labels) {
      if (!first) out.push_back(',');
      first = false;
      out.append(k).append("=\"");
      for (char c : v) {
        if (c == '\\') {
          out.append("\\\\");
        } else if (c == '"') {
          out.append("\\\"");
        } else if (c == '\n') {
          out.append("\\n");
        } else {
          out.push_back(c);
        }
      }
      out.push_back('"');
    }
    out.push_back('}');
  }
  out.push_back(' ');
  out.append(formatPromValue(value));
  out.push_back('\n');
}

void PrometheusText::histogram(std::string_view family_name, const PromLabels& labels, const double* bounds,
                               size_t n_bounds, const uint64_t* counts, double sum, uint64_t count) {
  uint64_t cumulative = 0;
  for (size_t i = 0; i <= n_bounds; ++i) {
    cumulative += counts[i];
    std::string le = i < n_bounds ? formatPromValue(bounds[i]) : "+Inf";
    PromLabels with = labels;
    with.emplace_back("le", le);
    sample(family_name, "_bucket", with, static_cast<double>(cumulative));
  }
  sample(family_name, "_sum", labels, sum);
  sample(family_name, "_count", labels, static_cast<double>(count));
}

std::string PrometheusText::render() const {
  std::string out;
  for (const Family& f : families_) {
    if (f.samples.empty()) continue;
    out.append("# HELP ").append(f.name).append(" ").append(f.help).append("\n");
    out.append("# TYPE ").append(f.name).append(" ").append(f.type).append("\n");
    out.append(f.samples);
  }
  return out;
}

}  // namespace sluice
