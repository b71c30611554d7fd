#include "tests/support/small_fs.h"

#include <fcntl.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <filesystem>
#include <thread>
#include <vector>

namespace sluice {
namespace {

std::string findTool(const char* name) {
  for (const char* d : {"/usr/bin/", "/bin/", "/usr/sbin/", "/sbin/"}) {
    std::string path = std::string(d) + name;
    if (::access(path.c_str(), X_OK) == 0) return path;
  }
  return "";
}

}  // namespace

SmallFs::SmallFs(const std::string& mount_point, uint64_t bytes, const std::string& work_dir)
    : mount_point_(mount_point) {
  const std::string unshare = findTool("unshare");
  if (unshare.empty() || findTool("nsenter").empty()) {
    why_ = "unshare or nsenter not found (util-linux)";
    return;
  }
  std::error_code ec;
  std::filesystem::create_directories(work_dir, ec);
  std::filesystem::create_directories(mount_point, ec);
  user_ns_ = ::geteuid() != 0;
  AgentProcess::Options o;
  o.binary = unshare;
  o.dir = work_dir;
  if (user_ns_) o.args.push_back("--map-root-user");
  // `cat` holds the namespace until the test closes its stdin (or dies: the pipe closes with it).
  for (const char* a : {"--mount", "--propagation", "private", "sh", "-c",
                        "mount -t tmpfs -o size=\"$2\" sluice-test \"$1\" && echo mounted && exec cat", "sh"}) {
    o.args.push_back(a);
  }
  o.args.push_back(mount_point);
  o.args.push_back(std::to_string(bytes));
  holder_ = std::make_unique<AgentProcess>(o);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (holder_->stdoutText().find("mounted") == std::string::npos) {
    if (!holder_->running() || std::chrono::steady_clock::now() > deadline) {
      why_ = "cannot mount a tmpfs in a private mount namespace: " + holder_->stderrText();
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ok_ = true;
}

SmallFs::~SmallFs() = default;  // the holder's stdin closes, `cat` ends, and the namespace with it

AgentProcess::Options SmallFs::inside(AgentProcess::Options o) const {
  std::vector<std::string> args{"-t", std::to_string(holder_->pid()), "-m", "-F"};
  if (user_ns_) {
    args.push_back("-U");
    args.push_back("--preserve-credentials");
  }
  args.push_back("--");
  args.push_back(o.binary.empty() ? std::string(SLUICE_BINARY) : o.binary);
  args.insert(args.end(), o.args.begin(), o.args.end());
  o.args = std::move(args);
  o.binary = findTool("nsenter");
  return o;
}

std::string SmallFs::outside(const std::string& path) const {
  return "/proc/" + std::to_string(holder_->pid()) + "/root" + path;
}

uint64_t SmallFs::freeBytes() const {
  struct statvfs st {};
  if (::statvfs(outside(mount_point_).c_str(), &st) != 0) return 0;
  return static_cast<uint64_t>(st.f_bavail) * st.f_frsize;
}

uint64_t SmallFs::usedBytes() const {
  struct statvfs st {};
  if (::statvfs(outside(mount_point_).c_str(), &st) != 0) return 0;
  return static_cast<uint64_t>(st.f_blocks - st.f_bfree) * st.f_frsize;
}

bool SmallFs::fill(const std::string& name, uint64_t leave) const {
  std::string path = outside(mount_point_ + "/" + name);
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) return false;
  std::vector<char> block(4096, 'f');
  while (freeBytes() > leave) {
    size_t n = std::min<uint64_t>(block.size(), freeBytes() - leave);
    if (::write(fd, block.data(), n) <= 0) break;
  }
  ::close(fd);
  return freeBytes() <= leave;
}

}  // namespace sluice
