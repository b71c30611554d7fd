#pragma once
// The systemd journal through libsystemd's sd-journal, as a journald source uses it: one owner of the
// sd_journal handle, errors as values (negative errnos turned into messages), nothing that blocks for long (sd-journal
// reads memory-mapped files; waiting is the event loop's job, on fd()).
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "agent/core/result.h"

struct sd_journal;

namespace sluice::plugins::journald {

class Journal {
 public:
  // The journal files in `directory` (and its machine-id subdirectories), or the local system's journal when
  // `directory` is "". Fails with -ENOENT when the directory does not exist.
  static Result<std::unique_ptr<Journal>> open(const std::string& directory);
  ~Journal();
  Journal(const Journal&) = delete;
  Journal& operator=(const Journal&) = delete;

  // FIELD=value matches, added in order (sd-journal ORs those of one field and ANDs different fields).
  Status addMatches(const std::vector<std::string>& matches);
  // The inotify descriptor that becomes readable when the journal changes, and the poll events to wait for.
  Result<int> fd();
  int events();
  // After the descriptor was readable: lets sd-journal take in new and removed files. <0: an errno.
  int process();
  // The bytes of the files open now (0: no journal file yet).
  uint64_t usage();

  // Moves to the next (previous) entry: 1, 0 at the end, <0 an errno.
  int next();
  int previous();
  Status seekHead();
  Status seekTail();
  Status seekCursor(const std::string& cursor);
  // Whether the current entry is the one `cursor` names.
  bool testCursor(const std::string& cursor);
  Result<std::string> cursor();

  // The current entry's `field` as "FIELD=value" (any bytes); nullopt when the entry has none. A read error
  // (a corrupt entry) sets `error` to its negative errno and returns nullopt.
  std::optional<std::string_view> data(const char* field, int* error);
  // The current entry's wall-clock time in microseconds since the epoch; 0 when unknown.
  uint64_t realtimeUs();

 private:
  explicit Journal(sd_journal* j) : j_(j) {}
  sd_journal* j_;
};

// "what: strerror(-rc)" with rc as its code.
Error journalError(std::string_view what, int rc);

}  // namespace sluice::plugins::journald
