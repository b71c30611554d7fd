#pragma once
// The `journald` source: entries of the systemd journal (the local system's, or the files of a directory) as
// records, each with its PRIORITY as severity, its realtime timestamp as event time and its SYSLOG_IDENTIFIER
// (else _COMM) as APP-NAME (one SourceInfo per identifier, app_names.h).
//
// Reading never blocks the loop: the journal's inotify descriptor is watched with a uv_poll_t (and looked at
// every poll_interval besides), and at most kEntriesPerTurn entries are read per loop turn; a backlog goes on at
// the next turn (uv_idle), so sinks and the admin API keep running. While the sinks push back, nothing is read:
// the journal is the buffer.
//
// At-least-once across restarts, as the tail source: entries are cut into acknowledgement entries of at most
// kAckEntries; the cursor of an entry's last journal entry becomes the saved position only once it and every
// entry before it were delivered or durably spooled (cursor_file.h: one pwrite per loop turn in which it moved,
// fsync every checkpoint_interval). A start resumes after the saved cursor; without one, at start_at.
#include <deque>
#include <memory>
#include <optional>
#include <string>

#include "agent/core/ack.h"
#include "agent/core/log.h"
#include "agent/loop/job_runner.h"
#include "agent/loop/loop.h"
#include "agent/pipeline/router.h"
#include "agent/pipeline/source.h"
#include "plugins/journald/app_names.h"
#include "plugins/journald/cursor_file.h"
#include "plugins/journald/journal.h"
#include "plugins/journald/journald_options.h"

namespace sluice::plugins::journald {

class JournaldSource : public Source {
 public:
  static constexpr size_t kEntriesPerTurn = 1000;
  static constexpr size_t kAckEntries = 100;

  JournaldSource(Loop& loop, Router& router, SourceInfo info, JournaldOptions options);
  ~JournaldSource() override;

  Status start() override;
  void pause() override;
  void resume() override;
  // Stops reading; what was read is acknowledged while the sinks drain, and the cursor is written once more
  // when the source is destroyed (after the loop ended).
  void stop() override;
  std::string describe() const override {
    std::string out = "reads " + (options_.directory.empty() ? std::string("the system journal")
                                                               : "the journal in " + options_.directory);
    for (const std::string& m : options_.matches) out += ", " + m;
    return out;
  }
  bool acksOutstanding() const override;

  const std::string& cursorPath() const { return cursor_file_.path(); }
  // The cursor of the entry up to which every entry is acknowledged (nullopt: none yet).
  const std::optional<std::string>& ackedCursor() const { return acked_; }
  const AppNames& appNames() const { return app_names_; }

 private:
  struct Chunk {
    AckEntry entry;
    std::string cursor;   // of its last journal entry; empty: unknown (it does not move the saved cursor)
  };

  // journald_source.cc: opening and positioning.
  void tryOpen();
  Status openJournal();
  void watch();
  Status positionJournal();
  std::optional<std::string> lastEntry();
  bool seekAfter(const std::string& cursor);
  void noteEmpty();
  void processChanges();
  static void onPoll(uv_poll_t* poll, int status, int events) noexcept;
  static void onTick(uv_timer_t* timer) noexcept;
  static void onMore(uv_idle_t* idle) noexcept;

  // journald_source_read.cc: reading, acknowledgements, the cursor file.
  void readTurn();
  void emitEntry();
  Chunk& openChunk();
  void closeChunk(Chunk& chunk);
  void onAcked(AckEntry& entry, bool ok);
  void advance(const AckEntry* running);
  void scheduleWrite();
  void writePosition();
  void syncAsync();
  void finalSave();
  // Counted as errors_total{error_type=type} and logged, rate limited.
  void readError(const char* type, const std::string& message);
  static void onWriteCheck(uv_check_t* check) noexcept;
  static void onCheckpointTimer(uv_timer_t* timer) noexcept;

  Loop& loop_;
  Router& router_;
  JournaldOptions options_;
  CursorFile cursor_file_;
  AppNames app_names_;
  std::unique_ptr<Journal> journal_;
  std::optional<std::string> saved_;   // from the cursor file, until the journal is positioned
  std::optional<std::string> acked_;
  std::deque<Chunk> chunks_;
  Record record_;
  bool opened_late_ = false;       // the directory was missing at start: whatever appears in it is new
  bool pending_current_ = false;   // the journal stands on an entry not yet read (the saved one was gone)
  bool reading_enabled_ = false;   // set on the first loop turn: nothing is read during start()
  bool paused_ = false;
  bool stopping_ = false;
  bool ack_blocked_ = false;       // an entry failed (abandoned at shutdown): the cursor stays before it
  bool write_pending_ = false;     // acked_ moved since the last write
  bool unsynced_ = false;          // written since the last fsync
  bool warned_missing_ = false;
  bool warned_empty_ = false;
  bool warned_watch_ = false;
  uint64_t entries_read_ = 0;
  UvHandle<uv_poll_t> poll_;
  UvHandle<uv_timer_t> tick_;
  UvHandle<uv_idle_t> more_;
  UvHandle<uv_timer_t> checkpoint_timer_;
  UvHandle<uv_check_t> write_check_;
  RateLimitedLog read_log_;
  RateLimitedLog write_log_;
  JobRunner syncs_{loop_};   // one fsync at a time: while one runs, an interval skips its turn
};

}  // namespace sluice::plugins::journald
