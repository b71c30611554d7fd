#include "tests/support/journal_writer.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>

#include "tests/support/files.h"

namespace sluice {
namespace {

constexpr const char* kBootId = "0123456789abcdef0123456789abcdef";

bool needsBinary(const std::string& value) {
  for (unsigned char c : value) {
    if (c < 0x20) return true;
  }
  return false;
}

int64_t nowUs() {
  struct timeval tv {};
  gettimeofday(&tv, nullptr);
  return static_cast<int64_t>(tv.tv_sec) * 1000000 + tv.tv_usec;
}

void appendField(std::string& out, const std::string& name, const std::string& value) {
  if (!needsBinary(value)) {
    out += name + "=" + value + "\n";
    return;
  }
  // NAME \n, the length as 64-bit little-endian, the bytes, \n.
  out += name + "\n";
  uint64_t len = value.size();
  for (int i = 0; i < 8; ++i) out += static_cast<char>((len >> (8 * i)) & 0xff);
  out += value + "\n";
}

}  // namespace

JournalEntry journalEntry(std::string message, std::string identifier, int priority) {
  JournalEntry e;
  e.field("MESSAGE", std::move(message));
  if (!identifier.empty()) e.field("SYSLOG_IDENTIFIER", std::move(identifier));
  if (priority >= 0) e.field("PRIORITY", std::to_string(priority));
  return e;
}

JournalWriter::JournalWriter(std::string dir) : dir_(std::move(dir)) { std::filesystem::create_directories(dir_); }

std::string JournalWriter::exportFormat(const std::vector<JournalEntry>& entries, uint64_t* monotonic_us) {
  std::string out;
  const int64_t now = nowUs();
  for (const JournalEntry& e : entries) {
    out += "__REALTIME_TIMESTAMP=" + std::to_string(e.realtime_us != 0 ? e.realtime_us : now) + "\n";
    out += "__MONOTONIC_TIMESTAMP=" + std::to_string((*monotonic_us)++) + "\n";
    out += std::string("_BOOT_ID=") + kBootId + "\n";
    for (const auto& [name, value] : e.fields) appendField(out, name, value);
    out += "\n";
  }
  return out;
}

std::string JournalWriter::append(const std::vector<JournalEntry>& entries) {
  if (::access(kTool, X_OK) != 0) {
    return std::string(kTool) + " is missing: the journald tests write their journals with it; `make deps` installs "
                                "it (Debian package systemd-journal-remote)";
  }
  const std::string input = dir_ + ".export";
  const std::string log = dir_ + ".writer.log";
  writeFile(input, exportFormat(entries, &monotonic_us_));
  const std::string output = dir_ + "/remote.journal";
  pid_t pid = fork();
  if (pid == 0) {
    int in = ::open(input.c_str(), O_RDONLY);
    int err = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (in < 0 || err < 0) _exit(125);
    dup2(in, 0);
    dup2(err, 1);
    dup2(err, 2);
    execl(kTool, kTool, "-o", output.c_str(), "-", static_cast<char*>(nullptr));
    _exit(126);
  }
  if (pid < 0) return "fork failed";
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return "waitpid failed";
  }
  ::unlink(input.c_str());
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return std::string(kTool) + " failed (status " + std::to_string(status) + "): " + readFile(log);
  }
  return "";
}

}  // namespace sluice
