// libFuzzer target: the /proc and cgroup v2 files GET /metrics/app reads (/proc/PID/stat, /proc/PID/io,
// cpu.stat, io.stat, memory.current). They are outside input (a process names itself; a container runtime writes
// the cgroup files): no crash, no read out of bounds, no hang, and what parses is consistent.
#include <string>
#include <string_view>

#include "agent/admin/app_metrics_proc.h"
#include "tests/fuzz/fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in = sluice::fuzz::text(data, size);
  if (auto s = sluice::parseProcStat(in)) {
    FUZZ_CHECK(in.find(')') != std::string_view::npos);
    FUZZ_CHECK(s->pid == 0 || in.find(std::to_string(s->pid)) != std::string_view::npos);
  }
  if (auto io = sluice::parseProcIo(in)) {
    FUZZ_CHECK(in.find("read_bytes") != std::string_view::npos && in.find("write_bytes") != std::string_view::npos);
  }
  sluice::IoBytes cg = sluice::parseCgroupIoStat(in);
  if (in.find("rbytes=") == std::string_view::npos) FUZZ_CHECK(cg.read == 0);
  if (in.find("wbytes=") == std::string_view::npos) FUZZ_CHECK(cg.written == 0);
  if (sluice::parseCgroupCpuUsageUsec(in)) FUZZ_CHECK(in.find("usage_usec") != std::string_view::npos);
  (void)sluice::parseUnsigned(in);
  return 0;
}
