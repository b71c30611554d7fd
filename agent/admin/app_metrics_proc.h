#pragma once
// What the app Sluice serves uses, read from /proc, cgroup v2 files and statvfs. The parsers take text (outside
// input: tests/fuzz/proc_stat_fuzz.cc); the readers take a root directory ("/proc", "/") so that unit tests feed
// them a fake tree.
#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sluice {

// The fields of /proc/<pid>/stat that matter here (man 5 proc: ppid is field 4, utime 14, stime 15, rss 24).
struct ProcStat {
  int64_t pid = 0;
  int64_t ppid = 0;
  uint64_t utime_ticks = 0;
  uint64_t stime_ticks = 0;
  uint64_t rss_pages = 0;
};
std::optional<ProcStat> parseProcStat(std::string_view text);

// /proc/<pid>/io's read_bytes and write_bytes (what reached the block layer), and cgroup v2's io.stat summed over
// its devices (rbytes=, wbytes=).
struct IoBytes {
  uint64_t read = 0;
  uint64_t written = 0;
};
std::optional<IoBytes> parseProcIo(std::string_view text);
IoBytes parseCgroupIoStat(std::string_view text);
// cgroup v2 cpu.stat's usage_usec.
std::optional<uint64_t> parseCgroupCpuUsageUsec(std::string_view text);
// A file holding one unsigned decimal (memory.current), surrounding whitespace allowed.
std::optional<uint64_t> parseUnsigned(std::string_view text);

// What a target uses: a process and its descendants summed, or a cgroup (no open_fds, no processes). Cumulative
// counters (cpu, io) drop when a descendant exits; the sampler turns them into rates and clamps at 0.
struct Usage {
  double cpu_seconds = 0;
  uint64_t memory_bytes = 0;   // resident (processes), memory.current (cgroups)
  uint64_t open_fds = 0;
  uint64_t read_bytes = 0;
  uint64_t write_bytes = 0;
  size_t processes = 0;
};

// Every live pid's parent, read once per sampling round so that the trees of all exec sources come from one
// scan of /proc. At most kMaxProcesses entries are read: a machine with more processes is sampled partially
// (children are usually the newest, highest pids, so the scan goes from the highest down).
class ProcTable {
 public:
  static constexpr size_t kMaxProcesses = 8192;
  explicit ProcTable(std::string proc_root = "/proc");
  void scan();
  // `root` and its descendants (breadth first, iteratively; a pid is visited once).
  std::vector<int64_t> tree(int64_t root) const;
  // Reads one process's figures into `into` (adds); false when it is gone.
  bool addProcess(int64_t pid, Usage& into) const;
  Usage treeUsage(int64_t root) const;
  const std::string& root() const { return root_; }
  bool truncated() const { return truncated_; }

 private:
  std::string root_;
  std::vector<std::pair<int64_t, int64_t>> by_parent_;  // (ppid, pid), sorted
  bool truncated_ = false;
  long ticks_;
  long page_;
};

// `dir` is the cgroup's directory (/sys/fs/cgroup/system.slice/myapp.service); nullopt when cpu.stat cannot be read.
std::optional<Usage> readCgroup(const std::string& dir);

struct FilesystemUsage {
  uint64_t used_bytes = 0;
  uint64_t available_bytes = 0;
};
std::optional<FilesystemUsage> readFilesystem(const std::string& path);

// A small file read whole (at most `limit` bytes): /proc and cgroup files are a few KiB.
std::optional<std::string> readSmallFile(const std::string& path, size_t limit = 64 * 1024);

}  // namespace sluice
