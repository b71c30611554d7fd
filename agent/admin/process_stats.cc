#include "agent/admin/process_stats.h"

#include <dirent.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>

namespace sluice {

ProcessStats readProcessStats() {
  ProcessStats s;
  // First, while no file of this function's is open.
  s.open_fds = countOpenFds("/proc/self/fd", true);
  const long ticks = sysconf(_SC_CLK_TCK);
  const long page = sysconf(_SC_PAGESIZE);
  std::ifstream stat_file("/proc/self/stat");
  std::string stat((std::istreambuf_iterator<char>(stat_file)), std::istreambuf_iterator<char>());
  // Fields after the command name (which may hold spaces and parentheses): from the last ')'.
  size_t close = stat.rfind(')');
  if (close != std::string::npos && ticks > 0) {
    std::istringstream in(stat.substr(close + 2));
    std::string field;
    unsigned long long utime = 0, stime = 0, starttime = 0, vsize = 0;
    long long rss = 0;
    // Field 3 (state) is the first here; utime is 14, stime 15, starttime 22, vsize 23, rss 24.
    for (int i = 3; i <= 24 && in >> field; ++i) {
      if (i == 14) utime = std::stoull(field);
      if (i == 15) stime = std::stoull(field);
      if (i == 22) starttime = std::stoull(field);
      if (i == 23) vsize = std::stoull(field);
      if (i == 24) rss = std::stoll(field);
    }
    s.cpu_seconds = static_cast<double>(utime + stime) / static_cast<double>(ticks);
    s.virtual_bytes = vsize;
    s.resident_bytes = rss > 0 ? static_cast<uint64_t>(rss) * static_cast<uint64_t>(page) : 0;
    std::ifstream proc_stat("/proc/stat");
    std::string line;
    while (std::getline(proc_stat, line)) {
      if (line.rfind("btime ", 0) == 0) {
        s.start_time_seconds = static_cast<double>(std::stoull(line.substr(6))) +
                               static_cast<double>(starttime) / static_cast<double>(ticks);
        break;
      }
    }
  }
  struct rlimit rl {};
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0) s.max_fds = rl.rlim_cur;
  return s;
}

uint64_t countOpenFds(const std::string& fd_dir, bool own) {
  constexpr long kProcSuperMagic = 0x9fa0;
  struct statfs fs {};
  struct stat st {};
  if (statfs(fd_dir.c_str(), &fs) == 0 && fs.f_type == kProcSuperMagic && stat(fd_dir.c_str(), &st) == 0 &&
      st.st_size > 0) {
    return static_cast<uint64_t>(st.st_size);
  }
  uint64_t n = 0;
  if (DIR* d = opendir(fd_dir.c_str())) {
    while (struct dirent* e = readdir(d)) {
      if (e->d_name[0] != '.') ++n;
    }
    closedir(d);
    if (own && n > 0) --n;
  }
  return n;
}

}  // namespace sluice
