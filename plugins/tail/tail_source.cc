#include "plugins/tail/tail_source.h"

#include <dirent.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <glob.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>

#include "agent/core/clock.h"

namespace sluice::plugins::tail {
namespace {

// Dormant entries (files read to their end that still exist) are few; this bounds them whatever happens.
constexpr size_t kMaxDormant = 4096;
// Birth times and the scan time come from different clocks' views (file system vs. process): a file born within
// this margin before the last scan is treated as new, i.e. read from its start (the safe side).
constexpr int64_t kScanSlackUs = 2000000;

std::string baseName(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

std::string dirName(const std::string& path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

std::string realPathOf(const std::string& path) {
  char buf[PATH_MAX];
  if (::realpath(path.c_str(), buf) == nullptr) return path;
  return buf;
}

}  // namespace

TailSource::TailSource(Loop& loop, Router& router, SourceInfo info, TailOptions options)
    : Source(std::move(info)),
      loop_(loop),
      router_(router),
      options_(std::move(options)),
      ctx_{loop_,
           router_,
           options_,
           counters_,
           info_.name,
           [this](TailedFile& f) { wantRead(f); },
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
  if (write_in_flight_ != nullptr) write_in_flight_->owner = nullptr;
  poll_timer_.close();
  refresh_timer_.close();
  checkpoint_timer_.close();
  journal_check_.close();
  if (reading_enabled_ || !files_.empty()) {
    // The loop has ended: every batch is resolved, so this is the final word on what was delivered.
    saveNow();
    uint64_t truncations = 0;
    for (auto& [key, f] : files_) truncations += f->truncations();
    spdlog::info("source {}: {} lines read from {} files ({} rotations, {} truncations); checkpoint {}", info_.name,
                 counters_.received_events, files_opened_, rotations_, counters_.errors["truncated"],
                 store_.path());
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
    return t.init(this, [&](uv_timer_t* h) { return uv_timer_init(loop_.get(), h); });
  };
  if (timer(poll_timer_) < 0 || timer(refresh_timer_) < 0 || timer(checkpoint_timer_) < 0 ||
      journal_check_.init(this, [&](uv_check_t* h) { return uv_check_init(loop_.get(), h); }) < 0) {
    return makeError("cannot create timers");
  }
  uv_unref(journal_check_.handle());  // runs while the loop does; never keeps it alive
  paused_ = router_.paused();
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

// ---- finding files ----

bool TailSource::excluded(const std::string& path) const {
  const std::string base = baseName(path);
  for (const std::string& pattern : options_.exclude_paths) {
    if (fnmatch(pattern.c_str(), path.c_str(), 0) == 0 || fnmatch(pattern.c_str(), base.c_str(), 0) == 0) {
      return true;
    }
  }
  return false;
}

std::vector<TailSource::Match> TailSource::match() {
  std::set<std::string> paths;
  for (const std::string& pattern : options_.paths) {
    glob_t g{};
    int rc = glob(pattern.c_str(), GLOB_NOSORT | GLOB_BRACE, nullptr, &g);
    if (rc == 0) {
      for (size_t i = 0; i < g.gl_pathc; ++i) paths.insert(g.gl_pathv[i]);
    } else if (rc != GLOB_NOMATCH) {
      uint64_t suppressed = 0;
      if (glob_log_.allow(&suppressed)) {
        spdlog::warn("source {}: cannot expand {}: {}", info_.name, pattern,
                     rc == GLOB_ABORTED ? "a directory cannot be read" : "out of memory");
      }
    }
    globfree(&g);
  }
  std::vector<Match> out;
  for (const std::string& p : paths) {
    if (excluded(p)) continue;
    std::optional<FileStat> st = statPath(p);  // follows symlinks: /var/log/containers/*.log
    if (!st || !st->regular) continue;
    out.push_back(Match{p, *st});
  }
  return out;
}

TailedFile* TailSource::drainingAt(const std::string& path) const {
  if (ctx_.draining_files == 0) return nullptr;  // the usual case: no walk over thousands of files
  TailedFile* found = nullptr;
  for (const auto& [key, f] : files_) {
    if (f->state() == TailedFile::State::Draining && f->path() == path && !f->drainedOnce()) found = f.get();
  }
  return found;
}

void TailSource::scan(bool initial) {
  const int64_t started_us = wallMicros();
  std::vector<Match> matches = match();
  std::set<FileKey> matched;
  for (const Match& m : matches) matched.insert(m.stat.key);
  if (initial && loaded_) recover(matched);

  std::map<std::string, TailedFile*> active;
  for (auto& [key, f] : files_) {
    if (f->state() == TailedFile::State::Active) active[f->path()] = f.get();
  }
  for (const Match& m : matches) {
    auto tracked = files_.find(m.stat.key);
    if (tracked != files_.end()) {
      TailedFile& f = *tracked->second;
      // Renamed to another name the globs match (app.log -> app.log.1 with paths: [app.log*]): still the same file.
      auto holder = active.find(m.path);
      if (f.path() != m.path && f.state() == TailedFile::State::Active &&
          (holder == active.end() || holder->second == nullptr)) {
        std::optional<FileStat> at_old = statPath(f.path());
        if (!at_old || at_old->key != f.key()) {
          active.erase(f.path());
          f.setPath(m.path);
          active[m.path] = &f;
        }
      }
      continue;
    }
    const FileCheckpoint* known = nullptr;
    auto dormant = dormant_.find(m.stat.key);
    if (dormant != dormant_.end()) {
      known = &dormant->second;
    } else if (initial && loaded_) {
      for (const FileCheckpoint& c : loaded_->files) {
        if (c.key == m.stat.key) known = &c;
      }
    }
    bool from_start;
    if (!initial) {
      from_start = true;  // appeared while Sluice runs: everything in it is new
    } else if (!loaded_) {
      from_start = options_.start_at_beginning;  // the very first run
    } else {
      // Not in the checkpoint: created after the last scan that the checkpoint reflects (while Sluice was down,
      // or just before it stopped) means new; older files were never matched before, and start_at applies.
      from_start = options_.start_at_beginning || m.stat.born_us >= loaded_->scanned_us - kScanSlackUs;
    }
    // The path led to another file until now: that one was rotated, and is read to its end first.
    auto previous = active.find(m.path);
    if (previous != active.end() && previous->second != nullptr) {
      previous->second->startDraining();
      ++rotations_;
      previous->second = nullptr;
    }
    FileCheckpoint known_copy;
    if (known != nullptr) known_copy = *known;
    TailedFile* f = openFile(m.path, m.path, m.stat, known != nullptr ? &known_copy : nullptr, from_start);
    if (f != nullptr) active[m.path] = f;
    if (dormant != dormant_.end() && f != nullptr) dormant_.erase(m.stat.key);
  }
  // Active files the globs no longer match: deleted, renamed away, or excluded now. Look at them now rather than at
  // the next poll.
  std::vector<TailedFile*> gone;
  for (auto& [key, f] : files_) {
    if (f->state() == TailedFile::State::Active && !matched.count(key)) gone.push_back(f.get());
  }
  for (TailedFile* f : gone) f->check(true);
  // Dormant entries whose file left its last place (deleted, renamed again) are forgotten.
  for (auto it = dormant_.begin(); it != dormant_.end();) {
    std::optional<FileStat> st = matched.count(it->first) ? std::nullopt : statPath(it->second.real_path);
    if (!matched.count(it->first) && (!st || st->key != it->first)) {
      it = dormant_.erase(it);
      checkpoint_dirty_ = true;
    } else {
      ++it;
    }
  }
  last_scan_us_ = started_us;
  vacated_.clear();  // the scan looked at every path
}

// At start: checkpointed files that no glob matches any more. Rotation renames a file within its directory
// (app.log -> app.log.1, 0.log -> 0.log.20240501-101500), so it is looked for there by inode; found, it is read
// from its checkpoint to its end, before the file that took its name.
void TailSource::recover(const std::set<FileKey>& matched) {
  for (const FileCheckpoint& c : loaded_->files) {
    if (matched.count(c.key) || files_.count(c.key) || c.path.empty()) continue;
    const std::string dir = dirName(c.real_path);
    std::string found;
    if (DIR* d = ::opendir(dir.c_str())) {
      while (dirent* e = ::readdir(d)) {
        if (e->d_ino != c.key.ino) continue;
        std::string candidate = dir + "/" + e->d_name;
        std::optional<FileStat> st = statPath(candidate);
        if (st && st->key == c.key && st->regular) {
          found = candidate;
          break;
        }
      }
      ::closedir(d);
    }
    if (found.empty()) {
      spdlog::info("source {}: {} is gone since the last run (read up to offset {})", info_.name, c.path, c.offset);
      continue;
    }
    std::optional<FileStat> st = statPath(found);
    if (!st) continue;
    // The same inode with other first bytes is another file that reused it: not ours to read.
    int fd = ::open(found.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) continue;
    const bool same = readFingerprint(fd, c.fingerprint.len) == c.fingerprint;
    ::close(fd);
    if (!same) {
      spdlog::info("source {}: {} is gone since the last run (read up to offset {})", info_.name, c.path, c.offset);
      continue;
    }
    if (st->size <= c.offset) {
      dormant_[c.key] = c;  // read to its end already
      continue;
    }
    spdlog::info("source {}: {} was rotated to {} while Sluice was stopped; reading it from offset {} to its end",
                 info_.name, c.path, found, c.offset);
    TailedFile* f = openFile(c.path, found, *st, &c, false);
    if (f != nullptr) {
      f->startDraining();
      ++rotations_;
    }
  }
}

TailedFile* TailSource::openFile(const std::string& path, const std::string& open_path, const FileStat& stat,
                                 const FileCheckpoint* known, bool from_start) {
  int fd = ::open(open_path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    uint64_t suppressed = 0;
    if (glob_log_.allow(&suppressed)) {
      spdlog::warn("source {}: cannot open {}: {}", info_.name, open_path, std::strerror(errno));
    }
    return nullptr;
  }
  std::optional<FileStat> st = statFd(fd);
  if (!st || st->key != stat.key || files_.count(st->key)) {
    ::close(fd);  // replaced between the glob and the open: the next scan or event finds the new one
    return nullptr;
  }
  uint64_t offset = from_start ? 0 : st->size;
  if (known != nullptr) {
    Fingerprint now = readFingerprint(fd, known->fingerprint.len);
    if (now == known->fingerprint) {
      offset = known->offset;
      if (st->size < offset) {
        ++counters_.errors["truncated"];
        spdlog::warn("source {}: {} is shorter ({} bytes) than its checkpoint ({}): truncated while Sluice was "
                     "stopped; reading it from its start",
                     info_.name, path, st->size, offset);
        offset = 0;
      }
    } else {
      // Same inode, other content: the file was deleted and the inode reused by a new file.
      spdlog::info("source {}: {} is a new file on a reused inode; reading it from its start", info_.name, path);
      offset = 0;
    }
  }
  auto file = std::make_unique<TailedFile>(ctx_, path, realPathOf(open_path), fd, *st, offset, readFingerprint(fd));
  TailedFile* f = file.get();
  f->predecessor = drainingAt(path);
  files_[st->key] = std::move(file);
  ++files_opened_;
  // No descriptor to spare (or none needed before the rotated file is read): the file is known (identity, offset)
  // and waits its turn closed.
  if (!f->waitingForPredecessor() && claimFd()) {
    open_files_.insert(f);
  } else {
    f->closeFd();
  }
  updateGauges();
  checkpoint_dirty_ = true;
  spdlog::debug("source {}: following {} from offset {} as '{}'", info_.name, path, offset, f->info().name);
  wantRead(*f);
  return f;
}

// ---- reading ----

void TailSource::wantRead(TailedFile& file) {
  if (file.queued || file.reading() || file.state() == TailedFile::State::Finished || stopping_) return;
  file.queued = true;
  ready_.push_back(&file);
  pump();
}

void TailSource::pump() {
  serveWaiting();
  while (reading_enabled_ && !paused_ && !stopping_ && reads_in_flight_ < kMaxReadsInFlight && !ready_.empty()) {
    TailedFile* f = ready_.front();
    ready_.pop_front();
    f->queued = false;
    if (f->waitingForPredecessor()) continue;  // queued again when the predecessor is drained
    if (!f->isOpen() && !reopenFile(*f)) continue;
    if (f->startRead()) ++reads_in_flight_;
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

// Whatever now has the name of a rotated file is new: it is read from its start, after the rotated one.
void TailSource::lookAtPath(const std::string& path) {
  std::optional<FileStat> st = statPath(path);
  if (!st || !st->regular || excluded(path)) return;
  vacated_.erase(path);
  if (files_.count(st->key)) return;
  const FileCheckpoint* known = nullptr;
  FileCheckpoint known_copy;
  auto dormant = dormant_.find(st->key);
  if (dormant != dormant_.end()) {
    known_copy = dormant->second;
    known = &known_copy;
    dormant_.erase(dormant);
  }
  openFile(path, path, *st, known, true);
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
  std::vector<TailedFile*> files;
  for (auto& [key, f] : self->files_) files.push_back(f.get());
  // check() may open a file (a rotation's successor) and so change files_: iterate over a copy.
  for (TailedFile* f : files) {
    f->check(true);
    f->tick(now);
  }
  if (!self->vacated_.empty()) {
    std::vector<std::string> paths(self->vacated_.begin(), self->vacated_.end());
    for (const std::string& p : paths) self->lookAtPath(p);
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
