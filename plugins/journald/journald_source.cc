#include "plugins/journald/journald_source.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "agent/core/units.h"

namespace sluice::plugins::journald {
namespace {

uint64_t ms(std::chrono::milliseconds d) { return static_cast<uint64_t>(std::max<int64_t>(d.count(), 1)); }

std::string where(const JournaldOptions& o) { return o.directory.empty() ? "the system journal" : o.directory; }

}  // namespace

JournaldSource::JournaldSource(Loop& loop, Router& router, SourceInfo info, JournaldOptions options)
    : Source(std::move(info)),
      loop_(loop),
      router_(router),
      options_(std::move(options)),
      cursor_file_(options_.state_dir, info_.name),
      app_names_(info_, [this](uint32_t id) { router_.forgetSource(id); }) {
  record_.source = &info_;
}

JournaldSource::~JournaldSource() {
  poll_.close();
  tick_.close();
  more_.close();
  checkpoint_timer_.close();
  write_check_.close();
  if (cursor_file_.fd() >= 0) {
    // The loop has ended: every batch is resolved, so this is the final word on what was delivered.
    finalSave();
    spdlog::info("source {}: {} journal entries read; cursor {}", info_.name, entries_read_, cursor_file_.path());
  }
}

Status JournaldSource::start() {
  Result<CursorScan> scan = cursor_file_.open();
  if (!scan) return scan.takeError();
  if (scan->torn > 0) {
    ++counters_.errors["checkpoint_corrupt"];
    spdlog::error("source {}: {} has {} damaged slot{}; {}", info_.name, cursor_file_.path(), scan->torn,
                  scan->torn == 1 ? "" : "s",
                  scan->newest ? "the other one is used" : "starting as on a first run (start_at)");
  }
  if (scan->newest) saved_ = acked_ = scan->newest->cursor;

  auto timer = [&](UvHandle<uv_timer_t>& t) {
    return t.init(this, [&](uv_timer_t* h) noexcept { return uv_timer_init(loop_.get(), h); });
  };
  if (timer(tick_) < 0 || timer(checkpoint_timer_) < 0 ||
      more_.init(this, [&](uv_idle_t* h) noexcept { return uv_idle_init(loop_.get(), h); }) < 0 ||
      write_check_.init(this, [&](uv_check_t* h) noexcept { return uv_check_init(loop_.get(), h); }) < 0) {
    return makeError("cannot create timers");
  }
  uv_unref(write_check_.handle());  // runs while the loop does; never keeps it alive
  paused_ = router_.pausedFor(info_.name);
  tryOpen();
  // The start position (start_at: end) counts from now on, even if Sluice is killed before anything is read.
  if (acked_) {
    write_pending_ = true;
    writePosition();
    if (unsynced_ && cursor_file_.sync() == 0) unsynced_ = false;
  }
  uv_timer_start(tick_.get(), &JournaldSource::onTick, ms(options_.poll_interval), ms(options_.poll_interval));
  uv_timer_start(checkpoint_timer_.get(), &JournaldSource::onCheckpointTimer, ms(options_.checkpoint_interval),
                 ms(options_.checkpoint_interval));
  // Reading starts on the loop's first turn, never inside start().
  loop_.post([this] {
    reading_enabled_ = true;
    readTurn();
  });
  spdlog::info("source {}: reading {}{}, {}", info_.name, where(options_),
               options_.matches.empty() ? "" : " (" + std::to_string(options_.matches.size()) + " matches)",
               scan->newest                                 ? "after the saved cursor"
               : options_.start_at_beginning || opened_late_ ? "from its beginning"
                                                             : "from its end (start_at)");
  return {};
}

void JournaldSource::pause() {
  paused_ = true;  // the journal's changes are still taken in (onPoll), but nothing is read
  if (more_) uv_idle_stop(more_.get());
}

void JournaldSource::resume() {
  paused_ = false;
  if (more_ && journal_ && reading_enabled_ && !stopping_) uv_idle_start(more_.get(), &JournaldSource::onMore);
}

void JournaldSource::stop() {
  if (stopping_) return;
  stopping_ = true;
  poll_.close();
  tick_.close();
  more_.close();
  // Acknowledgements keep coming while the sinks drain: the cursor keeps being written and synced, without
  // keeping the loop alive on its own.
  if (checkpoint_timer_) uv_unref(checkpoint_timer_.handle());
  app_names_.clear();
  loop_.post([this] { markFinished(); });
}

bool JournaldSource::acksOutstanding() const {
  for (const Chunk& c : chunks_) {
    if (!c.entry.complete()) return true;
  }
  return false;
}

// ---- opening ----

void JournaldSource::tryOpen() {
  if (journal_ || stopping_) return;
  if (!options_.directory.empty()) {
    struct stat st {};
    if (::stat(options_.directory.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
      if (!warned_missing_) {
        warned_missing_ = true;
        opened_late_ = !saved_;  // entries that appear in it later are all new
        spdlog::warn("source {}: the journal directory {} does not exist (yet); looking for it every {}",
                     info_.name, options_.directory, roughDuration(options_.poll_interval));
      }
      return;
    }
  }
  Status st = openJournal();
  if (st) st = positionJournal();
  if (!st) {
    poll_.close();   // before the descriptor it watches goes with the journal
    journal_.reset();
    readError("journal_open", st.error().message);
    return;
  }
  if (warned_missing_) spdlog::info("source {}: {} appeared; reading it", info_.name, options_.directory);
  noteEmpty();
}

Status JournaldSource::openJournal() {
  Result<std::unique_ptr<Journal>> j = Journal::open(options_.directory);
  if (!j) return j.takeError();
  journal_ = std::move(*j);
  watch();
  return {};
}

// Without inotify (no instance or watch left: fs.inotify limits) the journal is still read every poll_interval,
// and watching is tried again then; journal files that appear meanwhile are seen once it works.
void JournaldSource::watch() {
  Result<int> fd = journal_->fd();
  int rc = -EINVAL;
  if (fd) {
    rc = poll_.init(this, [&](uv_poll_t* p) noexcept { return uv_poll_init(loop_.get(), p, *fd); });
  } else if (fd.error().code < 0) {
    rc = fd.error().code;
  }
  if (rc < 0) {
    if (!warned_watch_) {
      warned_watch_ = true;
      ++counters_.errors["journal_watch"];
      spdlog::warn("source {}: cannot watch the journal for changes ({}); looking at it every {} instead",
                   info_.name, std::strerror(-rc), roughDuration(options_.poll_interval));
    }
    return;
  }
  if (warned_watch_) spdlog::info("source {}: watching the journal for changes again", info_.name);
  warned_watch_ = false;
  uv_poll_start(poll_.get(), UV_READABLE, &JournaldSource::onPoll);
}

// Where reading begins: after the saved cursor; on a first start, after the journal's last entry (start_at: end,
// taken before the matches apply, so that a restart resumes there whatever matched) or at its head. Nothing is
// saved for a head: a journal that shows no file (an unreadable one) must not make a later start read it all.
Status JournaldSource::positionJournal() {
  std::optional<std::string> from = std::exchange(saved_, std::nullopt);
  const bool first_start = !from;
  if (first_start && !options_.start_at_beginning && !opened_late_) from = lastEntry();
  if (Status st = journal_->addMatches(options_.matches); !st) return st;
  if (from && seekAfter(*from)) return {};
  if (!first_start && !options_.start_at_beginning) {
    // The saved cursor was refused: start_at end, as on a first start.
    if (std::optional<std::string> last = lastEntry(); last && seekAfter(*last)) return {};
  }
  if (Status st = journal_->seekHead(); !st) readError("journal_read", st.error().message);
  return {};
}

std::optional<std::string> JournaldSource::lastEntry() {
  if (!journal_->seekTail() || journal_->previous() <= 0) return std::nullopt;
  Result<std::string> c = journal_->cursor();
  if (!c) return std::nullopt;
  return std::move(*c);
}

// After the entry `cursor` names. If that entry is gone (vacuumed) or is not matched, sd-journal stands on the first
// matching one after where it was, which is then read first.
bool JournaldSource::seekAfter(const std::string& cursor) {
  if (Status st = journal_->seekCursor(cursor); !st) {
    ++counters_.errors["cursor_invalid"];
    spdlog::error("source {}: {}; starting at start_at instead", info_.name, st.error().message);
    return false;
  }
  acked_ = cursor;
  const int r = journal_->next();
  if (r < 0) {
    readError("journal_read", journalError("cannot read the journal", r).message);
  } else if (r > 0 && !journal_->testCursor(cursor)) {
    pending_current_ = true;
  }
  return true;
}

void JournaldSource::noteEmpty() {
  if (warned_empty_ || journal_->usage() > 0) return;
  warned_empty_ = true;
  if (options_.directory.empty()) {
    spdlog::warn("source {}: no journal file can be read (is journald running, and may this user read it: the "
                 "systemd-journal group? In a container, mount the host's /var/log/journal and set directory:)",
                 info_.name);
  } else {
    spdlog::warn("source {}: no journal files in {} yet; waiting for them", info_.name, options_.directory);
  }
}

void JournaldSource::onPoll(uv_poll_t* poll, int status, int /*events*/) noexcept {
  JournaldSource* self = ownerOf<JournaldSource>(poll);
  if (self == nullptr || !self->journal_) return;
  if (status < 0) {
    self->readError("journal_read", std::string("watching the journal failed: ") + uv_strerror(status));
    return;
  }
  // Taken in even while paused, so that the inotify descriptor does not stay readable (or overflow).
  self->processChanges();
  self->readTurn();
}

void JournaldSource::onTick(uv_timer_t* timer) noexcept {
  JournaldSource* self = ownerOf<JournaldSource>(timer);
  if (self == nullptr) return;
  if (!self->journal_) {
    self->tryOpen();
  } else {
    if (!self->poll_) self->watch();
    self->processChanges();
  }
  self->readTurn();
}

void JournaldSource::processChanges() {
  if (int rc = journal_->process(); rc < 0) {
    readError("journal_read", journalError("cannot take in the journal's changes", rc).message);
  }
}

void JournaldSource::onMore(uv_idle_t* idle) noexcept {
  uv_idle_stop(idle);
  JournaldSource* self = ownerOf<JournaldSource>(idle);
  if (self != nullptr) self->readTurn();
}

}  // namespace sluice::plugins::journald
