#pragma once
// A systemd journal the test owns, without a running journald: entries in journal export format piped into
// Debian's systemd-journal-remote, which writes them to <dir>/remote.journal (8 MiB at first). Each append runs the
// tool again on the same file: it appends, or rotates to a new file beside it when the file is full; a journal
// reader on the directory sees both. When the tool is missing, append() says so (make deps installs it): tests
// fail on that, they do not skip.
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace sluice {

struct JournalEntry {
  std::vector<std::pair<std::string, std::string>> fields;   // in order; a value may hold any bytes
  int64_t realtime_us = 0;                                   // __REALTIME_TIMESTAMP; 0: now

  JournalEntry& field(std::string name, std::string value) {
    fields.emplace_back(std::move(name), std::move(value));
    return *this;
  }
};

// MESSAGE=message, and SYSLOG_IDENTIFIER and PRIORITY when given ("" and -1: left out).
JournalEntry journalEntry(std::string message, std::string identifier = "", int priority = -1);

class JournalWriter {
 public:
  static constexpr const char* kTool = "/lib/systemd/systemd-journal-remote";

  // Writes to `dir` (created when missing).
  explicit JournalWriter(std::string dir);

  const std::string& dir() const { return dir_; }
  // Appends the entries; "" on success, else what went wrong.
  std::string append(const std::vector<JournalEntry>& entries);
  // The export format of `entries` (monotonic times from `*monotonic_us` on, one boot): binary-safe, a value
  // with a newline or a control byte is written in the format's binary form.
  static std::string exportFormat(const std::vector<JournalEntry>& entries, uint64_t* monotonic_us);

 private:
  std::string dir_;
  uint64_t monotonic_us_ = 1000;
};

}  // namespace sluice
