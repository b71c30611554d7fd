// JournaldSource: reading entries in bounded turns, their acknowledgements, and the cursor file.
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "agent/core/clock.h"
#include "plugins/journald/journal_fields.h"
#include "plugins/journald/journald_source.h"

namespace sluice::plugins::journald {

// ---- reading ----

void JournaldSource::readTurn() {
  if (!journal_ || !reading_enabled_ || paused_ || stopping_) return;
  record_.received_us = wallMicros();  // one clock read per turn, not per entry
  Chunk* chunk = nullptr;
  size_t in_chunk = 0;
  size_t n = 0;
  bool more = true;
  while (n < kEntriesPerTurn && !paused_) {
    if (!pending_current_) {
      const int r = journal_->next();
      if (r < 0) readError("journal_read", journalError("cannot read the journal", r).message);
      if (r <= 0) {
        more = false;  // the end for now: inotify (or the next tick) says when there is more
        break;
      }
    }
    pending_current_ = false;
    if (chunk == nullptr) chunk = &openChunk();
    emitEntry();
    ++n;
    if (++in_chunk == kAckEntries) {
      closeChunk(*chunk);  // the journal still stands on the chunk's last entry
      chunk = nullptr;
      in_chunk = 0;
    }
  }
  // After next() found nothing, the journal still stands on the last entry read.
  if (chunk != nullptr) closeChunk(*chunk);
  entries_read_ += n;
  if (more && !paused_) uv_idle_start(more_.get(), &JournaldSource::onMore);
}

// One entry, as one record (or several: a MESSAGE longer than max_line_bytes). sd_journal_get_data's bytes are
// valid until its next call: the identifier is taken (AppNames compares or copies it) before MESSAGE is read.
void JournaldSource::emitEntry() {
  int err = 0;
  record_.severity = options_.severity;
  if (auto d = journal_->data("PRIORITY", &err)) {
    record_.severity = severityFromPriority(fieldValue(*d, "PRIORITY").value_or(""), options_.severity);
  }
  std::string_view app_name;
  if (auto d = journal_->data("SYSLOG_IDENTIFIER", &err)) {
    app_name = fieldValue(*d, "SYSLOG_IDENTIFIER").value_or("");
  }
  if (app_name.empty()) {
    if (auto d = journal_->data("_COMM", &err)) app_name = fieldValue(*d, "_COMM").value_or("");
  }
  record_.source = &app_names_.get(app_name);
  record_.event_us = static_cast<int64_t>(journal_->realtimeUs());
  std::string_view message;
  if (auto d = journal_->data("MESSAGE", &err)) message = messageText(fieldValue(*d, "MESSAGE").value_or(""));
  if (err != 0) readError("journal_read", journalError("cannot read a field of an entry", err).message);
  const size_t pieces = forEachPiece(message, options_.max_line_bytes, [&](std::string_view piece) {
    record_.message = piece;
    router_.route(record_);
  });
  counters_.received_events += pieces;
  counters_.received_bytes += message.size();
  if (pieces > 1) ++counters_.split_lines;
}

JournaldSource::Chunk& JournaldSource::openChunk() {
  chunks_.emplace_back();
  Chunk& c = chunks_.back();
  c.entry.open([this](AckEntry& entry, bool ok) { onAcked(entry, ok); });
  record_.ack = &c.entry;
  return c;
}

void JournaldSource::closeChunk(Chunk& chunk) {
  record_.ack = nullptr;
  if (Result<std::string> c = journal_->cursor()) {
    chunk.cursor = std::move(*c);
  } else {
    readError("journal_read", c.error().message);  // this chunk does not move the cursor; the next one will
  }
  chunk.entry.release(true);
}

void JournaldSource::readError(const char* type, const std::string& message) {
  ++counters_.errors[type];
  uint64_t suppressed = 0;
  if (read_log_.allow(&suppressed)) {
    spdlog::error("source {}: {}{}", info_.name, message,
                  suppressedNote(suppressed, "more error"));
  }
}

// ---- acknowledgements ----

void JournaldSource::onAcked(AckEntry& entry, bool ok) {
  if (!ok && !ack_blocked_) {
    spdlog::debug("source {}: journal entries were not delivered; they are read again after a restart", info_.name);
  }
  advance(&entry);
}

// The cursor is that of the longest run of completed chunks, in read order; a chunk that failed stops it for good.
void JournaldSource::advance(const AckEntry* running) {
  const Chunk* last_ok = nullptr;
  for (const Chunk& c : chunks_) {
    if (!c.entry.complete()) break;
    if (!c.entry.ok()) ack_blocked_ = true;
    if (ack_blocked_) break;
    if (!c.cursor.empty()) last_ok = &c;
  }
  if (last_ok != nullptr && (!acked_ || *acked_ != last_ok->cursor)) {
    acked_ = last_ok->cursor;
    scheduleWrite();
  }
  // The entry whose callback is running stays until the next call: it must not be freed under its own feet.
  while (!chunks_.empty() && chunks_.front().entry.complete() && &chunks_.front().entry != running) {
    chunks_.pop_front();
  }
}

// ---- the cursor file ----

void JournaldSource::scheduleWrite() {
  write_pending_ = true;
  if (write_check_ && !uv_is_active(write_check_.handle())) {
    uv_check_start(write_check_.get(), &JournaldSource::onWriteCheck);
  }
}

void JournaldSource::onWriteCheck(uv_check_t* check) noexcept {
  uv_check_stop(check);
  JournaldSource* self = ownerOf<JournaldSource>(check);
  if (self != nullptr) self->writePosition();
}

void JournaldSource::writePosition() {
  if (!write_pending_ || !acked_) return;
  write_pending_ = false;
  if (int e = cursor_file_.write(*acked_); e != 0) {
    write_pending_ = true;  // tried again at the next move or interval
    ++counters_.errors["checkpoint_write"];
    uint64_t suppressed = 0;
    if (write_log_.allow(&suppressed)) {
      spdlog::error("source {}: cannot write {}: {}", info_.name, cursor_file_.path(), std::strerror(e));
    }
    return;
  }
  unsynced_ = true;
}

void JournaldSource::onCheckpointTimer(uv_timer_t* timer) noexcept {
  JournaldSource* self = ownerOf<JournaldSource>(timer);
  if (self == nullptr) return;
  self->writePosition();
  self->syncAsync();
}

// fdatasync on a worker thread, of a duplicate descriptor that the job owns (the source may go first).
void JournaldSource::syncAsync() {
  if (!unsynced_ || !syncs_.idle()) return;
  const int fd = ::dup(cursor_file_.fd());
  if (fd < 0) return;
  unsynced_ = false;
  syncs_.submit(
      [fd]() noexcept {
        const int rc = ::fdatasync(fd) == 0 ? 0 : errno;
        ::close(fd);
        return rc;
      },
      [this](int e) noexcept {
        if (e == 0) return;
        unsynced_ = true;
        ++counters_.errors["checkpoint_write"];
        uint64_t suppressed = 0;
        if (write_log_.allow(&suppressed)) {
          spdlog::error("source {}: cannot sync {}: {}", info_.name, cursor_file_.path(), std::strerror(e));
        }
      });
}

void JournaldSource::finalSave() {
  advance(nullptr);
  writePosition();
  if (int e = cursor_file_.sync(); e != 0) {
    ++counters_.errors["checkpoint_write"];
    spdlog::error("source {}: cannot sync {}: {}", info_.name, cursor_file_.path(), std::strerror(e));
  }
}

}  // namespace sluice::plugins::journald
