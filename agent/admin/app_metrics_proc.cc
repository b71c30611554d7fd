#include "agent/admin/app_metrics_proc.h"
#include "agent/admin/process_stats.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <unordered_set>

namespace sluice {
namespace {

bool isSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && isSpace(s.front())) s.remove_prefix(1);
  while (!s.empty() && isSpace(s.back())) s.remove_suffix(1);
  return s;
}

template <class T>
bool number(std::string_view s, T* out) {
  if (s.empty()) return false;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && end == s.data() + s.size();
}

// The next space-separated token of `s` (advanced past it).
std::string_view token(std::string_view& s) {
  while (!s.empty() && isSpace(s.front())) s.remove_prefix(1);
  size_t n = 0;
  while (n < s.size() && !isSpace(s[n])) ++n;
  std::string_view t = s.substr(0, n);
  s.remove_prefix(n);
  return t;
}

// "key value" lines (/proc/<pid>/io, cpu.stat): the value of `key`.
std::optional<uint64_t> keyedValue(std::string_view text, std::string_view key) {
  while (!text.empty()) {
    size_t eol = text.find('\n');
    std::string_view line = text.substr(0, eol);
    text.remove_prefix(eol == std::string_view::npos ? text.size() : eol + 1);
    std::string_view k = token(line);
    if (!k.empty() && k.back() == ':') k.remove_suffix(1);
    if (k != key) continue;
    uint64_t v = 0;
    if (number(trim(line), &v)) return v;
    return std::nullopt;
  }
  return std::nullopt;
}

}  // namespace

std::optional<ProcStat> parseProcStat(std::string_view text) {
  // The command name may hold spaces and parentheses: the fields start after the last ')'.
  size_t open = text.find(" (");
  size_t close = text.rfind(')');
  if (open == std::string_view::npos || close == std::string_view::npos || close < open) return std::nullopt;
  ProcStat s;
  if (!number(text.substr(0, open), &s.pid)) return std::nullopt;
  std::string_view rest = text.substr(close + 1);
  int64_t rss = 0;
  bool have_rss = false;
  for (int field = 3; field <= 24; ++field) {
    std::string_view t = token(rest);
    if (t.empty()) return std::nullopt;
    bool ok = true;
    if (field == 4) ok = number(t, &s.ppid);
    if (field == 14) ok = number(t, &s.utime_ticks);
    if (field == 15) ok = number(t, &s.stime_ticks);
    if (field == 24) ok = have_rss = number(t, &rss);
    if (!ok) return std::nullopt;
  }
  if (!have_rss) return std::nullopt;
  s.rss_pages = rss > 0 ? static_cast<uint64_t>(rss) : 0;
  return s;
}

std::optional<IoBytes> parseProcIo(std::string_view text) {
  std::optional<uint64_t> r = keyedValue(text, "read_bytes");
  std::optional<uint64_t> w = keyedValue(text, "write_bytes");
  if (!r || !w) return std::nullopt;
  return IoBytes{*r, *w};
}

IoBytes parseCgroupIoStat(std::string_view text) {
  // "8:0 rbytes=1 wbytes=2 rios=3 wios=4 dbytes=0 dios=0" per device.
  IoBytes io;
  while (!text.empty()) {
    size_t eol = text.find('\n');
    std::string_view line = text.substr(0, eol);
    text.remove_prefix(eol == std::string_view::npos ? text.size() : eol + 1);
    (void)token(line);  // MAJ:MIN
    for (std::string_view t = token(line); !t.empty(); t = token(line)) {
      size_t eq = t.find('=');
      if (eq == std::string_view::npos) continue;
      uint64_t v = 0;
      if (!number(t.substr(eq + 1), &v)) continue;
      // Saturating: a hostile file must not wrap the sum.
      if (t.substr(0, eq) == "rbytes") io.read = v > UINT64_MAX - io.read ? UINT64_MAX : io.read + v;
      if (t.substr(0, eq) == "wbytes") io.written = v > UINT64_MAX - io.written ? UINT64_MAX : io.written + v;
    }
  }
  return io;
}

std::optional<uint64_t> parseCgroupCpuUsageUsec(std::string_view text) { return keyedValue(text, "usage_usec"); }

std::optional<uint64_t> parseUnsigned(std::string_view text) {
  uint64_t v = 0;
  if (!number(trim(text), &v)) return std::nullopt;
  return v;
}

std::optional<std::string> readSmallFile(const std::string& path, size_t limit) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  std::string out;
  char buf[4096];
  while (out.size() < limit) {
    ssize_t n = ::read(fd, buf, std::min(sizeof buf, limit - out.size()));
    if (n < 0) {
      ::close(fd);
      return std::nullopt;
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return out;
}

ProcTable::ProcTable(std::string proc_root)
    : root_(std::move(proc_root)), ticks_(sysconf(_SC_CLK_TCK)), page_(sysconf(_SC_PAGESIZE)) {}

void ProcTable::scan() {
  by_parent_.clear();
  truncated_ = false;
  std::vector<int64_t> pids;
  if (DIR* d = opendir(root_.c_str())) {
    while (struct dirent* e = readdir(d)) {
      int64_t pid = 0;
      if (number(std::string_view(e->d_name), &pid)) pids.push_back(pid);
    }
    closedir(d);
  }
  std::sort(pids.begin(), pids.end(), std::greater<>());
  if (pids.size() > kMaxProcesses) {
    pids.resize(kMaxProcesses);
    truncated_ = true;
  }
  for (int64_t pid : pids) {
    std::optional<std::string> text = readSmallFile(root_ + "/" + std::to_string(pid) + "/stat", 4096);
    if (!text) continue;
    if (std::optional<ProcStat> s = parseProcStat(*text)) by_parent_.emplace_back(s->ppid, pid);
  }
  std::sort(by_parent_.begin(), by_parent_.end());
}

std::vector<int64_t> ProcTable::tree(int64_t root) const {
  std::vector<int64_t> out{root};
  std::unordered_set<int64_t> seen{root};
  // Breadth first over `out` itself: no recursion, and a pid already taken is not taken again (a cycle in a
  // hostile or racing /proc cannot loop).
  for (size_t i = 0; i < out.size() && out.size() <= kMaxProcesses; ++i) {
    auto it = std::lower_bound(by_parent_.begin(), by_parent_.end(), std::pair<int64_t, int64_t>{out[i], INT64_MIN});
    for (; it != by_parent_.end() && it->first == out[i]; ++it) {
      if (seen.insert(it->second).second) out.push_back(it->second);
    }
  }
  return out;
}

bool ProcTable::addProcess(int64_t pid, Usage& into) const {
  const std::string dir = root_ + "/" + std::to_string(pid);
  std::optional<std::string> text = readSmallFile(dir + "/stat", 4096);
  if (!text) return false;
  std::optional<ProcStat> s = parseProcStat(*text);
  if (!s) return false;
  if (ticks_ > 0) into.cpu_seconds += static_cast<double>(s->utime_ticks + s->stime_ticks) / static_cast<double>(ticks_);
  into.memory_bytes += s->rss_pages * static_cast<uint64_t>(page_ > 0 ? page_ : 4096);
  if (std::optional<std::string> io = readSmallFile(dir + "/io", 4096)) {
    if (std::optional<IoBytes> b = parseProcIo(*io)) {
      into.read_bytes += b->read;
      into.write_bytes += b->written;
    }
  }
  into.open_fds += countOpenFds(dir + "/fd", pid == getpid() && root_ == "/proc");
  ++into.processes;
  return true;
}

Usage ProcTable::treeUsage(int64_t root) const {
  Usage u;
  for (int64_t pid : tree(root)) addProcess(pid, u);
  return u;
}

std::optional<Usage> readCgroup(const std::string& dir) {
  std::optional<std::string> cpu = readSmallFile(dir + "/cpu.stat");
  if (!cpu) return std::nullopt;
  std::optional<uint64_t> usec = parseCgroupCpuUsageUsec(*cpu);
  if (!usec) return std::nullopt;
  Usage u;
  u.cpu_seconds = static_cast<double>(*usec) / 1e6;
  if (std::optional<std::string> mem = readSmallFile(dir + "/memory.current")) {
    u.memory_bytes = parseUnsigned(*mem).value_or(0);
  }
  if (std::optional<std::string> io = readSmallFile(dir + "/io.stat")) {
    const IoBytes b = parseCgroupIoStat(*io);
    u.read_bytes = b.read;
    u.write_bytes = b.written;
  }
  return u;
}

std::optional<FilesystemUsage> readFilesystem(const std::string& path) {
  struct statvfs st {};
  if (statvfs(path.c_str(), &st) != 0) return std::nullopt;
  const uint64_t frag = st.f_frsize != 0 ? st.f_frsize : st.f_bsize;
  FilesystemUsage u;
  u.used_bytes = (static_cast<uint64_t>(st.f_blocks) - static_cast<uint64_t>(st.f_bfree)) * frag;
  u.available_bytes = static_cast<uint64_t>(st.f_bavail) * frag;
  return u;
}

}  // namespace sluice
