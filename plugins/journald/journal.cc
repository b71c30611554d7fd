#include "plugins/journald/journal.h"

#include <systemd/sd-journal.h>

#include <cstdlib>
#include <cstring>

namespace sluice::plugins::journald {

Error journalError(std::string_view what, int rc) { return Error{std::string(what) + ": " + std::strerror(-rc), rc}; }

Result<std::unique_ptr<Journal>> Journal::open(const std::string& directory) {
  sd_journal* j = nullptr;
  const int rc = directory.empty() ? sd_journal_open(&j, SD_JOURNAL_LOCAL_ONLY)
                                   : sd_journal_open_directory(&j, directory.c_str(), 0);
  if (rc < 0) {
    return journalError(directory.empty() ? "cannot open the system journal" : "cannot open " + directory, rc);
  }
  // Whole fields, however long: a message longer than max_line_bytes is sent in pieces, never cut short silently
  // (the default keeps the first 64 KiB of a compressed field).
  sd_journal_set_data_threshold(j, 0);
  return std::unique_ptr<Journal>(new Journal(j));
}

Journal::~Journal() { sd_journal_close(j_); }

Status Journal::addMatches(const std::vector<std::string>& matches) {
  for (const std::string& m : matches) {
    int rc = sd_journal_add_match(j_, m.data(), m.size());
    if (rc < 0) return journalError("match '" + m + "'", rc);
  }
  return {};
}

Result<int> Journal::fd() {
  int fd = sd_journal_get_fd(j_);
  if (fd < 0) return journalError("cannot watch the journal", fd);
  return fd;
}

int Journal::events() { return sd_journal_get_events(j_); }
int Journal::process() { return sd_journal_process(j_); }

uint64_t Journal::usage() {
  uint64_t bytes = 0;
  return sd_journal_get_usage(j_, &bytes) < 0 ? 0 : bytes;
}

int Journal::next() { return sd_journal_next(j_); }
int Journal::previous() { return sd_journal_previous(j_); }

Status Journal::seekHead() {
  int rc = sd_journal_seek_head(j_);
  return rc < 0 ? Status(journalError("seek to the journal's head", rc)) : Status();
}

Status Journal::seekTail() {
  int rc = sd_journal_seek_tail(j_);
  return rc < 0 ? Status(journalError("seek to the journal's tail", rc)) : Status();
}

Status Journal::seekCursor(const std::string& cursor) {
  int rc = sd_journal_seek_cursor(j_, cursor.c_str());
  return rc < 0 ? Status(journalError("seek to the saved cursor", rc)) : Status();
}

bool Journal::testCursor(const std::string& cursor) { return sd_journal_test_cursor(j_, cursor.c_str()) > 0; }

Result<std::string> Journal::cursor() {
  char* c = nullptr;
  int rc = sd_journal_get_cursor(j_, &c);
  if (rc < 0) return journalError("cannot get the entry's cursor", rc);
  std::string out(c);
  std::free(c);
  return out;
}

std::optional<std::string_view> Journal::data(const char* field, int* error) {
  const void* d = nullptr;
  size_t len = 0;
  int rc = sd_journal_get_data(j_, field, &d, &len);
  if (rc < 0) {
    if (rc != -ENOENT) *error = rc;
    return std::nullopt;
  }
  return std::string_view(static_cast<const char*>(d), len);
}

uint64_t Journal::realtimeUs() {
  uint64_t us = 0;
  return sd_journal_get_realtime_usec(j_, &us) < 0 ? 0 : us;
}

}  // namespace sluice::plugins::journald
