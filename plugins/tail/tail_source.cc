#include "plugins/tail/tail_source.h"

#include <sys/inotify.h>

#include "agent/core/clock.h"
#include "agent/core/units.h"

namespace sluice::plugins::tail {
namespace {

// Dormant entries (files read to their end that still exist) are few; this bounds them whatever happens.
constexpr size_t kMaxDormant = 4096;

}  // namespace

TailSource::TailSource(Loop& loop, Router& router, SourceInfo info, TailOptions options)
    : Source(std::move(info)),
      loop_(loop),
      router_(router),
      options_(std::move(options)),
      watches_(loop_, options_.read_interval,
               {[this] { lookAfterEvents(); }, [this] { lookAtAll(); },
                [this](const std::vector<FileWatches::Created>& names) { onCreated(names); }}),
      ctx_{loop_,
           router_,
           options_,
           counters_,
           info_.name,
           [this](TailedFile& f) { wantRead(f); },
           watches_,
           [this](TailedFile& f) { gather(f); },
           [this](TailedFile& f) { readDone(f); },
           [this](TailedFile& f) { onRotated(f); },
           [this](TailedFile& f) { onDrained(f); },
           [this](TailedFile& f) { onAcked(f); },
           [this](TailedFile& f) { fdClosed(f); }},
      store_(options_.state_dir, info_.name),
      journal_(store_.journalPath()),
      budget_(FdBudget::process()) {
  budget_.add(this);
}

TailSource::~TailSource() {
  poll_timer_.close();
  watches_.close();
  refresh_timer_.close();
  checkpoint_timer_.close();
  journal_check_.close();
  refill_cached_reads_.close();
  if (reading_enabled_ || !files_.empty()) {
    // The loop has ended: every batch is resolved, so this is the final word on what was delivered.
    saveNow();
    spdlog::info("source {}: {} read from {} ({}, {}); checkpoint {}", info_.name,
                 countOf(counters_.received_events, "line"), countOf(files_opened_, "file"),
                 countOf(rotations_, "rotation"), countOf(counters_.errors["truncated"], "truncation"), store_.path());
  }
  ctx_.fd_closed = nullptr;  // the files go now; so do their descriptors
  for (size_t i = 0; i < open_files_.size(); ++i) budget_.release();
  open_files_.clear();
  files_.clear();
  budget_.remove(this);
}

Status TailSource::start() {
  Status st = store_.prepare();
  if (!st) return makeError("cannot create the checkpoint directory: " + st.error().message);
  Result<LoadedCheckpoints> loaded = store_.load();
  if (!loaded) return loaded.takeError();
  if (!loaded->problem.empty()) {
    ++counters_.errors["checkpoint_corrupt"];
    spdlog::error("source {}: {}", info_.name, loaded->problem);
  }
  loaded_ = std::move(loaded->set);
  applyJournal(loaded_ ? &*loaded_ : nullptr);

  auto timer = [&](UvHandle<uv_timer_t>& t) {
    return t.init(this, [&](uv_timer_t* h) noexcept { return uv_timer_init(loop_.get(), h); });
  };
  if (timer(poll_timer_) < 0 || timer(refresh_timer_) < 0 || timer(checkpoint_timer_) < 0 ||
      journal_check_.init(this, [&](uv_check_t* h) noexcept { return uv_check_init(loop_.get(), h); }) < 0 ||
      refill_cached_reads_.init(this, [&](uv_idle_t* h) noexcept { return uv_idle_init(loop_.get(), h); }) < 0) {
    return makeError("cannot create timers");
  }
  ctx_.cached_read_budget = kCachedReadBurst;
  ctx_.cached_budget_spent = [this] {
    if (refill_cached_reads_ && !uv_is_active(refill_cached_reads_.handle())) {
      uv_idle_start(refill_cached_reads_.get(), &TailSource::onRefillCachedReads);
    }
  };
  uv_unref(journal_check_.handle());  // runs while the loop does; never keeps it alive
  if (Status watching = watches_.start(); !watching) {
    spdlog::warn("source {}: no change notification ({}): files are looked at every poll_interval ({})", info_.name,
                 watching.error().message, formatDuration(options_.poll_interval));
  }
  paused_ = router_.pausedFor(info_.name);
  scan(true);
  loaded_.reset();
  // The start offsets (start_at: end) count from now on, even if Sluice is killed before the first interval.
  saveNow();

  auto ms = [](std::chrono::milliseconds d) { return static_cast<uint64_t>(std::max<int64_t>(d.count(), 1)); };
  uv_timer_start(poll_timer_.get(), &TailSource::onPollTimer, ms(options_.poll_interval), ms(options_.poll_interval));
  uv_timer_start(refresh_timer_.get(), &TailSource::onRefreshTimer, ms(options_.refresh_interval),
                 ms(options_.refresh_interval));
  uv_timer_start(checkpoint_timer_.get(), &TailSource::onCheckpointTimer, ms(options_.checkpoint_interval),
                 ms(options_.checkpoint_interval));
  // Reading starts on the loop's first turn, never inside start().
  loop_.post([this] {
    reading_enabled_ = true;
    pump();
  });
  return {};
}

void TailSource::pause() {
  paused_ = true;  // reads in flight complete and are routed; no new one starts
}

void TailSource::resume() {
  paused_ = false;
  pump();
}

void TailSource::stop() {
  if (stopping_) return;
  stopping_ = true;
  poll_timer_.close();
  watches_.close();
  refresh_timer_.close();
  // Acknowledgements keep coming while the sinks drain: the checkpoint keeps being written, without keeping the
  // loop alive on its own.
  if (checkpoint_timer_) uv_unref(checkpoint_timer_.handle());
  for (auto& [key, f] : files_) {
    f->stopWatching();
    f->queued = false;
  }
  ready_.clear();
  for (TailedFile* f : waiting_fd_) f->queued = false;
  waiting_fd_.clear();
  maybeFinish();
}

// The last checkpoint written here is where the successor resumes: what was read since and is still in flight is
// read again by it (at least once). A write on the pool still to land would overwrite the successor's: wait for it.
bool TailSource::handOver() {
  if (!stopping_ || reads_in_flight_ > 0 || !checkpoint_writes_.idle()) return false;
  if (handed_over_) return true;
  saveNow();
  handed_over_ = true;
  checkpoint_timer_.close();
  journal_check_.close();
  uint64_t undelivered = 0;
  for (const auto& [key, f] : files_) undelivered += f->readOffset() - std::min(f->readOffset(), f->ackedOffset());
  spdlog::info("source {}: handed over to its successor with {} read but not yet delivered (read again by it)",
               info_.name, countOf(undelivered, "byte"));
  return true;
}

bool TailSource::acksOutstanding() const {
  for (const auto& [key, f] : files_) {
    if (f->acksOutstanding()) return true;
  }
  return false;
}

void TailSource::maybeFinish() {
  if (!stopping_ || reads_in_flight_ > 0 || finish_posted_) return;
  finish_posted_ = true;
  loop_.post([this] { markFinished(); });
}


// ---- reading ----

void TailSource::wantRead(TailedFile& file) {
  if (file.queued || file.reading() || file.state() == TailedFile::State::Finished || stopping_) return;
  file.queued = true;
  ready_.push_back(&file);
  pump();
}

void TailSource::gather(TailedFile& file) { gathered_.push_back(&file); }

void TailSource::lookAfterEvents() {
  // A look reads on the loop, opens a rotated file's successor and so on, but marks no file: only a round does.
  for (size_t i = 0; i < gathered_.size(); ++i) {
    gathered_[i]->gathered = false;
    gathered_[i]->lookAfterEvents();
  }
  gathered_.clear();
  pump();
}

// Events were lost (the kernel's queue overflowed): every file is looked at as closely as the poll's close look, and
// the globs are expanded again for the new files whose names were lost.
void TailSource::lookAtAll() {
  for (TailedFile* f : all_files_) f->markForLook(TailedFile::Look::Path);
  if (!stopping_) scan(false);
}

void TailSource::onRefillCachedReads(uv_idle_t* idle) noexcept {
  uv_idle_stop(idle);
  TailSource* self = ownerOf<TailSource>(idle);
  if (self == nullptr) return;
  self->ctx_.cached_read_budget = kCachedReadBurst;
  self->pump();
}

void TailSource::pump() {
  // A read on the loop routes its lines and queues its file again from inside this loop: the files it queues are
  // taken by the loop below, not by a nested call, so that 1,000 files read in a row are not 1,000 frames deep.
  if (pumping_) return;
  pumping_ = true;
  serveWaiting();
  // Once the burst of cached reads is spent, the rest waits for the next loop turn (onRefillCachedReads).
  while (reading_enabled_ && !paused_ && !stopping_ && reads_in_flight_ < kMaxReadsInFlight && !ready_.empty() &&
         ctx_.cached_read_budget > 0) {
    TailedFile* f = ready_.front();
    ready_.pop_front();
    f->queued = false;
    if (f->waitingForPredecessor()) continue;  // queued again when the predecessor is drained
    if (!f->isOpen() && !reopenFile(*f)) continue;
    startRead(*f);
    if (ready_.empty()) serveWaiting();
  }
  pumping_ = false;
}

void TailSource::startRead(TailedFile& file) {
  switch (file.startRead()) {
    case TailedFile::ReadStart::InFlight:
      ++reads_in_flight_;
      break;
    case TailedFile::ReadStart::Done:
      if (file.atEof() && file.isOpen()) noteIdle(file);
      break;
    case TailedFile::ReadStart::None:
      break;
  }
}

void TailSource::readDone(TailedFile& file) {
  --reads_in_flight_;
  if (file.atEof() && file.isOpen()) noteIdle(file);
  if (stopping_) {
    maybeFinish();
  } else {
    pump();
  }
}

void TailSource::onRotated(TailedFile& file) {
  ++rotations_;
  spdlog::info("source {}: {} was rotated or deleted; reading it to its end", info_.name, file.path());
  if (stopping_) return;
  // The writer usually creates the new file right after the rename: until it appears, or the next scan, the
  // path is looked at on every poll.
  vacated_.insert(file.path());
  lookAtPath(file.path());
}


void TailSource::onDrained(TailedFile& file) {
  for (auto& [key, f] : files_) {
    if (f->predecessor == &file) {
      f->predecessor = nullptr;
      wantRead(*f);
    }
  }
}

void TailSource::releaseFinished() {
  if (!journal_files_.empty()) flushJournal();  // a released file's last position is not lost with it
  if (ctx_.finished_files == 0) {                // the usual case: no walk over thousands of files
    updateGauges();
    return;
  }
  for (auto it = files_.begin(); it != files_.end();) {
    TailedFile& f = *it->second;
    if (!f.releasable()) {
      ++it;
      continue;
    }
    // Still on disk under some name: remembered, so that a glob matching that name does not read it again.
    if (f.stillLinked() && dormant_.size() < kMaxDormant) dormant_[f.key()] = f.checkpoint();
    for (auto& [key, other] : files_) {
      if (other->predecessor == &f) other->predecessor = nullptr;
    }
    std::erase(ready_, &f);
    std::erase(all_files_, &f);
    std::erase(waiting_fd_, &f);
    std::erase(journal_files_, &f);
    std::erase_if(idle_, [&f](const auto& e) { return e.first == &f; });
    router_.forgetSource(f.info().id);
    spdlog::debug("source {}: done with {} (read to offset {})", info_.name, f.path(), f.readOffset());
    it = files_.erase(it);
    checkpoint_dirty_ = true;
  }
  updateGauges();
}

// ---- timers ----

void TailSource::onPollTimer(uv_timer_t* timer) noexcept {
  TailSource* self = ownerOf<TailSource>(timer);
  if (self == nullptr) return;
  const uint64_t now = self->loop_.nowMs();
  const bool watched_too = ++self->polls_ % kWatchedLookPolls == 0;
  // check() may open a file (a rotation's successor) and so change files_: those due a look are collected first.
  std::vector<TailedFile*>& due = self->due_;
  due.clear();
  for (TailedFile* f : self->all_files_) {
    if (watched_too || !f->watched()) due.push_back(f);
  }
  for (TailedFile* f : due) f->check(TailedFile::Look::Path);
  for (size_t i = 0; i < self->all_files_.size(); ++i) {
    TailedFile* f = self->all_files_[i];
    if (f->wantsTick()) f->tick(now);
  }
  if (!self->vacated_.empty()) {
    std::vector<std::string> paths(self->vacated_.begin(), self->vacated_.end());
    for (const std::string& p : paths) self->lookAtPath(p);
  }
  self->lookForUnmatched();
  if (self->rescan_wanted_) {
    self->rescan_wanted_ = false;
    self->scan(false);
  }
  self->releaseFinished();
  self->pump();  // files waiting for a descriptor that no read's end served
}

void TailSource::onRefreshTimer(uv_timer_t* timer) noexcept {
  TailSource* self = ownerOf<TailSource>(timer);
  if (self == nullptr || self->stopping_) return;
  self->scan(false);
}

void TailSource::onCheckpointTimer(uv_timer_t* timer) noexcept {
  TailSource* self = ownerOf<TailSource>(timer);
  if (self == nullptr) return;
  self->saveAsync();
}

}  // namespace sluice::plugins::tail
