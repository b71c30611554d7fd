// Medians over runs, and the tables: each row is printed as soon as it is measured.
#include <algorithm>
#include <iomanip>
#include <iostream>
#include <sstream>

#include "bench/bench.h"

namespace sluice::bench {

Figures medianOf(const std::vector<Figures>& runs) {
  if (runs.empty()) return {};
  std::vector<Figures> by_rate = runs;
  std::sort(by_rate.begin(), by_rate.end(), [](const Figures& a, const Figures& b) { return a.rate() < b.rate(); });
  Figures f = by_rate[by_rate.size() / 2];
  f.runs = static_cast<int>(runs.size());
  f.rate_min = by_rate.front().rate();
  f.rate_max = by_rate.back().rate();
  // CPU and RSS have medians of their own: the fastest run is not always the cheapest.
  std::vector<double> cpu, rss;
  for (const Figures& r : runs) {
    if (r.cpu_seconds >= 0) cpu.push_back(r.cpuPerMillion());
    if (r.peak_rss_mb >= 0) rss.push_back(r.peak_rss_mb);
    if (!r.note.empty() && f.note.find(r.note) == std::string::npos) f.note += (f.note.empty() ? "" : "; ") + r.note;
  }
  if (!cpu.empty()) {
    std::sort(cpu.begin(), cpu.end());
    f.cpu_seconds = cpu[cpu.size() / 2] * static_cast<double>(f.lines) / 1e6;
    f.cpu_min = cpu.front();
    f.cpu_max = cpu.back();
  }
  if (!rss.empty()) {
    std::sort(rss.begin(), rss.end());
    f.peak_rss_mb = rss.back();  // the peak is what a promise is about
  }
  return f;
}

Figures repeated(const Setup& setup, const std::function<Figures()>& one, int runs) {
  int n = setup.quick ? 1 : (runs > 0 ? runs : setup.runs);
  std::vector<Figures> all;
  for (int i = 0; i < n; ++i) all.push_back(one());
  return medianOf(all);
}

namespace {

std::string millions(double v) {
  std::ostringstream s;
  s << std::fixed << std::setprecision(v >= 1e6 ? 2 : 3) << v / 1e6 << "M";
  return s.str();
}

}  // namespace

void printHeader(const std::string& title) {
  std::cout << "\n" << title << "\n"
            << std::left << std::setw(54) << "path" << std::right << std::setw(9) << "lines" << std::setw(10)
            << "lines/s" << std::setw(19) << "(min-max)" << std::setw(9) << "CPU-s/M" << std::setw(16) << "(min-max)"
            << std::setw(9) << "RSS MB" << "  note\n";
}

void printRow(const Figures& f) {
  std::ostringstream s;
  s << std::left << std::setw(54) << f.path << std::right << std::setw(9) << f.lines << std::setw(10)
    << millions(f.rate());
  if (f.runs > 1) {
    s << std::setw(19) << ("(" + millions(f.rate_min) + "-" + millions(f.rate_max) + ")");
  } else {
    s << std::setw(19) << "";
  }
  if (f.cpu_seconds >= 0) {
    s << std::setw(9) << std::fixed << std::setprecision(3) << f.cpuPerMillion();
    std::ostringstream spread;
    spread << std::fixed << std::setprecision(3) << "(" << f.cpu_min << "-" << f.cpu_max << ")";
    s << std::setw(16) << (f.runs > 1 ? spread.str() : "");
  } else {
    s << std::setw(9) << "-" << std::setw(16) << "";
  }
  if (f.peak_rss_mb >= 0) {
    s << std::setw(9) << std::fixed << std::setprecision(1) << f.peak_rss_mb;
  } else {
    s << std::setw(9) << "-";
  }
  std::string note = f.note;
  if (f.bytes > 0 && f.seconds > 0) {
    std::ostringstream mb;
    mb << std::fixed << std::setprecision(0) << static_cast<double>(f.bytes) / f.seconds / 1e6 << " MB/s";
    note = mb.str() + (note.empty() ? "" : "; " + note);
  }
  if (f.runs > 1) note = "median of " + std::to_string(f.runs) + (note.empty() ? "" : "; " + note);
  s << "  " << note << "\n";
  std::cout << s.str() << std::flush;
}

void printTable(const std::vector<Figures>& rows) {
  for (const Figures& f : rows) printRow(f);
}

}  // namespace sluice::bench
