// TailSource: finding files. The globs are expanded at start and every refresh_interval; a checkpointed file that no
// glob matches any more is looked for where rotation puts it; whatever takes the name of a rotated file is new.
#include <dirent.h>
#include <fcntl.h>
#include <glob.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <unordered_map>

#include "agent/core/clock.h"
#include "agent/core/durable_file.h"
#include "agent/core/path.h"
#include "agent/core/path_glob.h"
#include "agent/core/units.h"
#include "plugins/tail/tail_source.h"

namespace sluice::plugins::tail {
namespace {

// Birth times and the scan time come from different clocks' views (file system vs. process): a file born within
// this margin before the last scan is treated as new, i.e. read from its start (the safe side).
constexpr int64_t kScanSlackUs = 2000000;

std::string realPathOf(const std::string& path) {
  char buf[PATH_MAX];
  if (::realpath(path.c_str(), buf) == nullptr) return path;
  return buf;
}

}  // namespace

std::vector<TailSource::Match> TailSource::match() {
  GlobMatches globs = expandGlobs(options_.paths, options_.exclude_paths, &glob_cache_);
  for (const std::string& pattern : options_.paths) {
    noteMatches(pattern, std::find(globs.unmatched.begin(), globs.unmatched.end(), pattern) == globs.unmatched.end());
  }
  uint64_t suppressed = 0;
  if (!globs.problems.empty() && glob_log_.allow(&suppressed)) {
    for (const std::string& problem : globs.problems) spdlog::warn("source {}: {}", info_.name, problem);
  }
  // A name that leads to a watched file needs no stat: its rename, deletion or replacement is an inotify event on
  // the file, and a symlink pointed elsewhere is found by the poll's close look (TailSource::kWatchedLookPolls).
  std::unordered_map<std::string_view, const TailedFile*> watched;
  for (const auto& [key, f] : files_) {
    if (f->state() == TailedFile::State::Active && f->watched()) watched.emplace(f->path(), f.get());
  }
  std::vector<Match> out;
  for (const std::string& p : globs.files) {
    if (auto w = watched.find(p); w != watched.end()) {
      FileStat known;
      known.key = w->second->key();
      known.regular = true;
      out.push_back(Match{p, known});
      continue;
    }
    std::optional<FileStat> st = statPath(p);  // follows symlinks: /var/log/containers/*.log
    if (!st || !st->regular) continue;
    out.push_back(Match{p, *st});
  }
  return out;
}

// A pattern without wildcards names one path: while nothing is there, every poll looks at it (one stat), so that a
// file created there is found at once, not at the next scan (a first file rotated away within refresh_interval
// would be missed).
namespace {
bool literalPattern(const std::string& pattern) { return !globHasWildcard(pattern); }
}  // namespace

void TailSource::lookForUnmatched() {
  if (unmatched_.empty()) return;
  std::vector<std::string> paths;
  for (const std::string& p : unmatched_) {
    if (literalPattern(p)) paths.push_back(p);
  }
  for (const std::string& p : paths) lookAtPath(p);
}

namespace {

// The directories a pattern's new files may appear in: (roots) its directory when that has no wildcard, else the
// part before the first wildcard; (levels) the directory patterns from the first wildcard on.
void directoryLevels(const std::string& pattern, std::vector<std::string>& roots, std::vector<std::string>& levels) {
  const std::string dir = dirName(pattern);
  if (!globHasWildcard(dir)) {
    roots.push_back(dir);
    return;
  }
  size_t end = dir.find('/', 1);
  std::string prefix = dir.substr(0, end);
  while (end != std::string::npos && !globHasWildcard(prefix)) {
    end = dir.find('/', end + 1);
    prefix = dir.substr(0, end);
  }
  roots.push_back(dirName(prefix));
  while (true) {
    levels.push_back(prefix);
    if (end == std::string::npos) break;
    end = dir.find('/', end + 1);
    prefix = dir.substr(0, end);
  }
}

}  // namespace

void TailSource::watchDirectories() {
  if (dir_roots_.empty()) {
    for (const std::string& pattern : options_.paths) directoryLevels(pattern, dir_roots_, dir_levels_);
  }
  for (const std::string& root : dir_roots_) watches_.addDirectory(root);  // missing: tried again at the next scan
  for (const std::string& level : dir_levels_) {
    glob_t g{};
    if (::glob(level.c_str(), GLOB_ONLYDIR | GLOB_NOSORT | GLOB_BRACE, nullptr, &g) == 0) {
      for (size_t i = 0; i < g.gl_pathc; ++i) watches_.addDirectory(g.gl_pathv[i]);
    }
    ::globfree(&g);
  }
}

void TailSource::onCreated(const std::vector<FileWatches::Created>& names) {
  bool unmatched = false, new_dir = false;
  for (const FileWatches::Created& name : names) {
    if (stopping_) return;
    const std::string& path = name.path;
    auto matches = [&](const std::string& pattern) { return globMatches(pattern, path); };
    if (name.directory) {
      // Files may be in it before its watch is: the globs are expanded again (which watches its own levels).
      if (std::any_of(dir_levels_.begin(), dir_levels_.end(), matches) && watches_.addDirectory(path)) new_dir = true;
      continue;
    }
    if (!std::any_of(options_.paths.begin(), options_.paths.end(), matches)) {
      unmatched = true;
      continue;
    }
    // The name of a followed file leads to a new one: that file was rotated, and is read to its end first. Its
    // look waits while a read of it is in flight; the new file then waits for it.
    TailedFile* holder = nullptr;
    for (TailedFile* f : all_files_) {
      if (f->state() == TailedFile::State::Active && f->path() == path) holder = f;
    }
    if (holder != nullptr) holder->check(TailedFile::Look::Path);
    lookAtPath(path, holder != nullptr && holder->state() == TailedFile::State::Active ? holder : nullptr);
  }
  if (new_dir && !stopping_) scan(false);
  // fnmatch(3) has no braces: such a pattern's new names are found by expanding it again, at the next poll.
  auto braces = [](const std::string& pattern) { return pattern.find('{') != std::string::npos; };
  if (unmatched && std::any_of(options_.paths.begin(), options_.paths.end(), braces)) rescan_wanted_ = true;
}

void TailSource::noteMatches(const std::string& pattern, bool matched) {
  if (matched) {
    if (unmatched_.erase(pattern) > 0) spdlog::info("source {}: {} matches files now", info_.name, pattern);
    return;
  }
  if (!unmatched_.insert(pattern).second) return;  // said once, until it matches again
  const std::string missing = missingGlobDirectory(pattern);
  const std::string every =
      roughDuration(literalPattern(pattern) ? options_.poll_interval : options_.refresh_interval);
  if (!missing.empty()) {
    spdlog::warn("source {}: nothing matches {}: the directory {} does not exist (looking again every {})",
                 info_.name, pattern, missing, every);
  } else {
    spdlog::warn("source {}: nothing matches {} yet (looking again every {})", info_.name, pattern, every);
  }
}

std::string TailSource::describe() const {
  std::string patterns;
  for (const std::string& p : options_.paths) patterns += (patterns.empty() ? "" : ", ") + p;
  return countOf(files_.size(), "file") + (files_.size() == 1 ? " matches " : " match ") + patterns;
}

TailedFile* TailSource::drainingAt(const std::string& path) const {
  if (ctx_.draining_files == 0) return nullptr;  // the usual case: no walk over thousands of files
  // The last one rotated away from that path: it waits for the one before it, if any (files rotated faster than
  // they are read stay in order).
  TailedFile* found = nullptr;
  for (const auto& [key, f] : files_) {
    if (f->state() == TailedFile::State::Draining && f->path() == path && !f->drainedOnce() &&
        (found == nullptr || f->drainOrder() > found->drainOrder())) {
      found = f.get();
    }
  }
  return found;
}

void TailSource::scan(bool initial) {
  const int64_t started_us = wallMicros();
  std::vector<Match> matches = match();
  FileKeySet matched;
  matched.reserve(matches.size());
  for (const Match& m : matches) matched.insert(m.stat.key);
  watchDirectories();
  if (initial && loaded_) recover(matched);

  // Names are views of the files' own paths or of the matches, both alive until the scan ends (a rename erases
  // the old name before the file takes the new one).
  std::unordered_map<std::string_view, TailedFile*> active;
  active.reserve(files_.size());
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
    const bool from_start = readFromStart(m, initial);
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
  for (TailedFile* f : gone) f->check(TailedFile::Look::Path);
  forgetGoneDormant(matched);
  last_scan_us_ = started_us;
  vacated_.clear();  // the scan looked at every path
}

// A file the source does not follow yet: whether it is read from its start or from its end.
bool TailSource::readFromStart(const Match& m, bool initial) const {
  if (!initial) return true;                                   // appeared while Sluice runs: everything in it is new
  if (!loaded_) return options_.start_at_beginning;            // the very first run
  // Not in the checkpoint: created after the last scan that the checkpoint reflects (while Sluice was down, or
  // just before it stopped) means new; older files were never matched before, and start_at applies.
  return options_.start_at_beginning || m.stat.born_us >= loaded_->scanned_us - kScanSlackUs;
}

// Dormant entries whose file left its last place (deleted, renamed again) are forgotten.
void TailSource::forgetGoneDormant(const FileKeySet& matched) {
  for (auto it = dormant_.begin(); it != dormant_.end();) {
    std::optional<FileStat> st = matched.count(it->first) ? std::nullopt : statPath(it->second.real_path);
    if (!matched.count(it->first) && (!st || st->key != it->first)) {
      it = dormant_.erase(it);
      checkpoint_dirty_ = true;
    } else {
      ++it;
    }
  }
}

// At start: checkpointed files that no glob matches any more. Rotation renames a file within its directory
// (app.log -> app.log.1, 0.log -> 0.log.20240501-101500), so it is looked for there by inode; found, it is read
// from its checkpoint to its end, before the file that took its name.
void TailSource::recover(const FileKeySet& matched) {
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
    int fd = openForTail(found);
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
                                 const FileCheckpoint* known, bool from_start, TailedFile* after) {
  int fd = openForTail(open_path);
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
        spdlog::warn("source {}: {} is shorter ({}) than its checkpoint ({}): truncated while Sluice was "
                     "stopped; reading it from its start",
                     info_.name, path, countOf(st->size, "byte"), offset);
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
  f->predecessor = after != nullptr ? after : drainingAt(path);
  std::unique_ptr<TailedFile>& slot = files_[st->key];
  if (slot) std::erase(all_files_, slot.get());
  slot = std::move(file);
  all_files_.push_back(f);
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
  spdlog::debug("source {}: following {} from offset {} as '{}'", info_.name, path, offset, f->info().instance);
  wantRead(*f);
  return f;
}

// Whatever now has the name of a rotated file is new: it is read from its start, after the rotated one.
void TailSource::lookAtPath(const std::string& path, TailedFile* after) {
  std::optional<FileStat> st = statPath(path);
  if (!st || !st->regular || globExcluded(path, options_.exclude_paths)) return;
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
  openFile(path, path, *st, known, true, after);
}

}  // namespace sluice::plugins::tail
