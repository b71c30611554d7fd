#pragma once
// The stages of the path measured alone, in-process (stages.cc, stages_io.cc).
#include <string>

#include "bench/bench.h"

namespace sluice::bench {

struct Stage {
  std::string name;
  uint64_t lines = 0;
  double cpu_seconds = 0;   // of the threads doing the stage's work
  double seconds = 0;       // wall
  bool in_sum = true;       // part of stdin -> HTTPS (the spool is not, in memory mode)
  std::string note;
  double nsPerLine() const { return lines == 0 ? 0 : cpu_seconds * 1e9 / static_cast<double>(lines); }
};

// CPU time of the calling thread, and of the whole process (the thread pool's work included).
double threadCpuSeconds();
double processCpuSeconds();

// `count` frames as the default sink builds them (1,000 to a batch).
std::string frameBatch(const Setup& setup, size_t count);

Stage sendStage(const Setup& setup, const std::string& batch, uint64_t lines);
Stage spoolStage(const Setup& setup, const std::string& batch, uint64_t lines, bool fsync);

}  // namespace sluice::bench
