// TailSource: the descriptors its files hold (fd_budget.h). Files that cannot have one wait closed, in turn; the
// least recently active closable file gives its descriptor up when another needs one.
#include <algorithm>

#include "plugins/tail/tail_source.h"

namespace sluice::plugins::tail {

// Closed files that wait for a descriptor go first, in the order they asked; one that cannot get one means none
// of the others can either.
void TailSource::serveWaiting() {
  while (!waiting_fd_.empty() && reading_enabled_ && !paused_ && !stopping_ && reads_in_flight_ < kMaxReadsInFlight) {
    TailedFile* f = waiting_fd_.front();
    waiting_fd_.pop_front();
    f->queued = false;
    if (f->state() == TailedFile::State::Finished || f->waitingForPredecessor()) continue;
    if (!claimFd()) {
      f->queued = true;
      waiting_fd_.push_front(f);
      return;
    }
    if (f->reopen() == TailedFile::Reopened::Gone) {
      budget_.release();
      continue;
    }
    open_files_.insert(f);
    updateGauges();
    startRead(*f);
  }
}

bool TailSource::claimFd() {
  if (options_.max_open_files > 0 && open_files_.size() >= options_.max_open_files) {
    if (oldestClosable() == UINT64_MAX) return false;
    closeOldest();
  }
  return budget_.acquire();
}

bool TailSource::reopenFile(TailedFile& file) {
  if (file.state() == TailedFile::State::Finished) return false;
  if (!claimFd()) {
    file.queued = true;
    waiting_fd_.push_back(&file);
    return false;
  }
  if (file.reopen() == TailedFile::Reopened::Gone) {
    budget_.release();
    return false;
  }
  open_files_.insert(&file);
  updateGauges();
  return true;
}

void TailSource::fdClosed(TailedFile& file) {
  if (open_files_.erase(&file) > 0) budget_.release();
  counters_.gauges["files_open"] = open_files_.size();
}

// The front of the idle queue; else (files closable because they read for long, or wait for a rotated file) the
// least recently active by a walk over the open files.
TailedFile* TailSource::leastRecentlyActive() {
  while (!idle_.empty()) {
    auto [f, mark] = idle_.front();
    if (f->idle_mark == mark && f->closable()) return f;
    idle_.pop_front();
  }
  TailedFile* oldest = nullptr;
  for (TailedFile* f : open_files_) {
    if (f->closable() && (oldest == nullptr || f->lastActiveMs() < oldest->lastActiveMs())) oldest = f;
  }
  return oldest;
}

uint64_t TailSource::oldestClosable() {
  TailedFile* f = leastRecentlyActive();
  return f != nullptr ? f->lastActiveMs() : UINT64_MAX;
}

void TailSource::closeOldest() {
  TailedFile* oldest = leastRecentlyActive();
  if (oldest == nullptr) return;
  oldest->closeFd();
  // Closed before its end (it kept growing): it waits for a descriptor again, behind the others.
  if (!oldest->atEof() && !oldest->queued && !stopping_ && !oldest->waitingForPredecessor()) {
    oldest->queued = true;
    waiting_fd_.push_back(oldest);
  }
}

void TailSource::updateGauges() {
  counters_.gauges["files_open"] = open_files_.size();
  counters_.gauges["files_tracked"] = files_.size();
}

// Idle from now on: the last to be closed among the idle ones. Stale entries are dropped when the queue grows well
// past the open files, so that it stays bounded when descriptors are plenty and nothing pops it.
void TailSource::noteIdle(TailedFile& file) {
  file.idle_mark = ++idle_marks_;
  idle_.emplace_back(&file, file.idle_mark);
  if (idle_.size() > 2 * open_files_.size() + 64) {
    std::erase_if(idle_, [](const auto& e) { return e.first->idle_mark != e.second || !e.first->isOpen(); });
  }
}

}  // namespace sluice::plugins::tail
