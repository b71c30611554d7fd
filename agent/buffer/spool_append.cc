// The spool's write path: appends laid out in segments, written and fsynced by one job at a time, and undone
// when a write fails (a full disk leaves no partial record and no empty segment).
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "agent/buffer/spool.h"
#include "agent/buffer/spool_io.h"
#include "agent/core/durable_file.h"

namespace sluice {

void Spool::append(uint64_t seq, std::string_view data, uint32_t frames, std::function<void(Status)> done) {
  if (closed_) {
    loop_.post([done = std::move(done)] { done(makeError("the spool is closed")); });
    return;
  }
  // An older batch spilled at shutdown may lie below a position a slot holds: both slots step back first, so
  // that neither can skip it after a crash.
  const bool step_back = cursor_.usable() && seq <= cursor_.highestWritten();
  if (step_back) {
    unread_[seq] = Entry{};
    int err = cursor_.writeBoth(cursorState());
    unread_.erase(seq);
    if (err != 0) {
      Error e = posixError("cannot step the ack slots back in", options_.dir, err);
      noteError("spool_ack_write", e.message);
      loop_.post([done = std::move(done), e] { done(e); });
      return;
    }
    cursor_dirty_ = true;
  }
  const uint64_t rec = kRecordHeader + data.size();
  if (write_segment_ == 0 ||
      (segments_[write_segment_].size > 0 && segments_[write_segment_].size + rec > options_.segment_bytes)) {
    write_segment_ = next_segment_++;
    segments_[write_segment_] = Segment{};
  }
  Segment& seg = segments_[write_segment_];
  PendingAppend p{seq, write_segment_, seg.size, data, {}, step_back, std::move(done)};
  encodeRecordHeader(seq, data, p.header);
  unread_[seq] = Entry{write_segment_, seg.size, static_cast<uint32_t>(data.size()), frames, false};
  unread_frames_ += frames;
  resize(seg, seg.size + rec);
  seg.live += 1;
  max_seq_ = std::max(max_seq_, seq);
  pending_.push_back(std::move(p));
  if (!append_running_) startAppendJob();
}

// One append job on a worker thread. It touches only what it was given (the Spool's members are the loop's), and
// the file the writer state holds open.
struct Spool::AppendJob {
  std::shared_ptr<std::vector<PendingAppend>> batch;
  WriterState* w;
  std::string dir;
  SyncMode sync;
  bool sync_cursor;   // the ack slots were stepped back for a record of the batch: fsync them with the data
  int cursor_fd;
  // When a write fails (a full disk), the records written whole before it are kept: how many.
  std::shared_ptr<size_t> kept;

  struct Written {
    uint32_t segment;
    uint64_t start;  // where this job began writing in it
  };
  // What a run of the job has done so far.
  struct Progress {
    std::vector<Written> touched;
    bool created = false;
    size_t next = 0;   // the first record not written yet
    size_t keep = 0;   // after a failed write: the records written whole
    Status st;         // a failure that undoes the whole job
    Status write_st;   // a failed write: the records before it stay
  };

  Status run() const;
  std::string segmentPath(uint32_t id) const { return segmentPathIn(dir, id); }
  uint64_t recordEnd(size_t k) const { return (*batch)[k].offset + kRecordHeader + (*batch)[k].data.size(); }
  void openSegment(uint32_t segment, const std::string& path, Progress& p) const;
  void writeRun(const std::string& path, Progress& p) const;
  void cutFailedWrite(size_t first, uint64_t offset, uint64_t written, const std::string& path, Progress& p) const;
  Status syncWritten(bool created) const;
  void undo(const std::vector<Written>& touched) const;
};

Status Spool::AppendJob::run() const {
  Progress p;
  while (p.st && p.write_st && p.next < batch->size()) {
    const uint32_t segment = (*batch)[p.next].segment;
    const std::string path = segmentPath(segment);
    if (w->segment != segment || w->fd < 0) {
      openSegment(segment, path, p);
      if (!p.st) break;
    }
    writeRun(path, p);
  }
  if (p.st) p.st = syncWritten(p.created);
  if (p.st && p.write_st) return p.st;
  if (p.st) {
    *kept = p.keep;  // durable like a success: reported done; the rest failed
    return p.write_st;
  }
  // Anything else failed: nothing of this job is kept, cutting each file back needs no free space.
  undo(p.touched);
  return p.st;
}

// Leaves the segment written so far (fsynced first) for `segment`.
void Spool::AppendJob::openSegment(uint32_t segment, const std::string& path, Progress& p) const {
  if (w->fd >= 0) {
    if (sync != SyncMode::None && ::fdatasync(w->fd) != 0) {
      p.st = posixError("cannot fsync", segmentPath(w->segment), errno);
      return;
    }
    ::close(w->fd);
    w->fd = -1;
  }
  w->fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  if (w->fd < 0) {
    p.st = posixError("cannot open", path, errno);
    return;
  }
  w->segment = segment;
  p.created = true;
}

// Writes the records from p.next on that go to the open segment, in one pwrite.
void Spool::AppendJob::writeRun(const std::string& path, Progress& p) const {
  const uint32_t segment = (*batch)[p.next].segment;
  p.touched.push_back(Written{segment, (*batch)[p.next].offset});
  const size_t first = p.next;
  std::vector<struct iovec> iov;
  uint64_t offset = (*batch)[p.next].offset;
  for (; p.next < batch->size() && (*batch)[p.next].segment == segment; ++p.next) {
    PendingAppend& a = (*batch)[p.next];
    iov.push_back({a.header, kRecordHeader});
    iov.push_back({const_cast<char*>(a.data.data()), a.data.size()});
  }
  uint64_t written = 0;
  p.write_st = pwriteAll(w->fd, iov, offset, path, &written);
  if (!p.write_st) cutFailedWrite(first, offset, written, path, p);
}

// The records written whole stay; the file is cut where the first one that is not begins (or removed when that is
// its start), so no partial record and no empty segment stays behind.
void Spool::AppendJob::cutFailedWrite(size_t first, uint64_t offset, uint64_t written, const std::string& path,
                                      Progress& p) const {
  p.keep = first;
  while (p.keep < p.next && recordEnd(p.keep) <= offset + written) ++p.keep;
  const uint64_t cut = p.keep < p.next ? (*batch)[p.keep].offset : offset + written;
  if (cut == 0) {
    ::close(w->fd);
    w->fd = -1;
    ::unlink(path.c_str());
    p.touched.pop_back();
  } else if (::ftruncate(w->fd, static_cast<off_t>(cut)) != 0) {
    p.st = posixError("cannot cut back", path, errno);
  }
}

// What the job wrote becomes durable: the data (sync: batch), new segments' names, and stepped-back ack slots.
Status Spool::AppendJob::syncWritten(bool created) const {
  if (sync == SyncMode::Batch && w->fd >= 0 && ::fdatasync(w->fd) != 0) {
    return posixError("cannot fsync", segmentPath(w->segment), errno);
  }
  if (created) {
    if (Status st = syncDirectory(dir); !st) return st;
  }
  if (sync_cursor && cursor_fd >= 0 && ::fdatasync(cursor_fd) != 0) {
    return posixError("cannot fsync the ack slots in", dir, errno);
  }
  return {};
}

void Spool::AppendJob::undo(const std::vector<Written>& touched) const {
  for (const Written& t : touched) {
    const std::string path = segmentPath(t.segment);
    if (t.segment == w->segment && w->fd >= 0) {
      if (t.start == 0) {
        ::close(w->fd);
        w->fd = -1;
        ::unlink(path.c_str());
      } else if (::ftruncate(w->fd, static_cast<off_t>(t.start)) != 0) {
        spdlog::error("spool {}: cannot cut {} back after a failed write: {}", dir, path, std::strerror(errno));
      }
    } else if (t.start == 0) {
      ::unlink(path.c_str());
    } else if (::truncate(path.c_str(), static_cast<off_t>(t.start)) != 0) {
      spdlog::error("spool {}: cannot cut {} back after a failed write: {}", dir, path, std::strerror(errno));
    }
  }
}

void Spool::startAppendJob() {
  append_running_ = true;
  auto batch = std::make_shared<std::vector<PendingAppend>>(std::move(pending_));
  pending_.clear();
  bool sync_cursor = false;
  for (const PendingAppend& p : *batch) sync_cursor = sync_cursor || p.step_back;
  sync_cursor = sync_cursor && options_.sync != SyncMode::None;
  auto kept = std::make_shared<size_t>(0);
  AppendJob job{batch, writer_.get(), options_.dir, options_.sync, sync_cursor, cursor_.fd(), kept};
  jobs_.submit([job]() noexcept -> Status { return job.run(); },
               [this, batch, kept](Status st) noexcept { appendJobDone(*batch, *kept, st); });
}

void Spool::appendJobDone(std::vector<PendingAppend>& batch, size_t kept, const Status& st) {
  // The done callbacks may append again (an acknowledged source reads on): those appends wait in pending_ until
  // this one is settled, and the failed records' space is given back before any callback runs, so that a new
  // append is laid out where the failure began and not past it (a hole, and a segment no one deletes).
  if (st) {
    finishAppends(batch, true);
  } else {
    // What was queued behind the failed write would meet the same disk: it fails too, and the segments are
    // laid out again from where the failure began.
    std::vector<PendingAppend> done(std::make_move_iterator(batch.begin()),
                                    std::make_move_iterator(batch.begin() + static_cast<ptrdiff_t>(kept)));
    std::vector<PendingAppend> failed(std::make_move_iterator(batch.begin() + static_cast<ptrdiff_t>(kept)),
                                      std::make_move_iterator(batch.end()));
    for (PendingAppend& p : pending_) failed.push_back(std::move(p));
    pending_.clear();
    undoAppends(failed, st);
    if (!done.empty()) finishAppends(done, false);
    for (PendingAppend& p : failed) p.done(st);
  }
  append_running_ = false;
  if (!pending_.empty()) startAppendJob();
}

void Spool::resize(Segment& seg, uint64_t size) {
  disk_bytes_ = disk_bytes_ - seg.size + size;
  if (seg.deleting) dead_bytes_ = dead_bytes_ - seg.size + size;
  seg.size = size;
}

void Spool::undoAppends(std::vector<PendingAppend>& batch, const Status& st) {
  std::map<uint32_t, uint64_t> cut;  // segment -> where its failed records begin
  for (PendingAppend& p : batch) {
    auto it = unread_.find(p.seq);
    if (it != unread_.end()) {
      unread_frames_ -= it->second.frames;
      unread_.erase(it);
    } else if (auto ot = outstanding_.find(p.seq); ot != outstanding_.end()) {
      outstanding_.erase(ot);
    } else {
      p.seq = 0;  // dropped while waiting: its segment let go of it already
    }
    auto seg = segments_.find(p.segment);
    if (seg == segments_.end()) continue;
    if (p.seq != 0 && seg->second.live > 0) seg->second.live -= 1;
    auto [c, fresh] = cut.emplace(p.segment, p.offset);
    if (!fresh) c->second = std::min(c->second, p.offset);
  }
  for (const auto& [id, at] : cut) {
    auto it = segments_.find(id);
    if (it == segments_.end()) continue;
    Segment& seg = it->second;
    resize(seg, std::min(seg.size, at));
    if (seg.deleting) continue;  // its deletion finishes the accounting
    if (seg.size == 0) {
      if (id == write_segment_) write_segment_ = 0;
      segments_.erase(it);
    } else if (seg.live == 0) {
      if (id == write_segment_) write_segment_ = 0;
      retire(id);
    }
  }
  if (isNoSpace(st.error())) {
    if (!no_space_) {
      spdlog::warn("spool {}: the disk is full; batches are kept in memory until the spool has room again",
                   options_.dir);
    }
    no_space_ = true;
    no_space_at_ = std::chrono::steady_clock::now();
  }
}

void Spool::finishAppends(std::vector<PendingAppend>& batch, bool all) {
  for (PendingAppend& p : batch) {
    auto it = unread_.find(p.seq);
    if (it != unread_.end()) it->second.on_disk = true;
    auto ot = outstanding_.find(p.seq);
    if (ot != outstanding_.end()) ot->second.on_disk = true;
  }
  if (no_space_ && all) {
    no_space_ = false;
    spdlog::info("spool {}: the disk has room again; batches are spooled again", options_.dir);
  }
  if (options_.sync == SyncMode::Interval) {
    for (PendingAppend& p : batch) awaiting_sync_.push_back(std::move(p.done));
    return;
  }
  for (PendingAppend& p : batch) p.done(Status{});
}

void Spool::onSyncTimer(uv_timer_t* timer) noexcept {
  Spool* self = ownerOf<Spool>(timer);
  if (self == nullptr || self->awaiting_sync_.empty()) return;
  auto waiting = std::make_shared<std::vector<std::function<void(Status)>>>(std::move(self->awaiting_sync_));
  self->awaiting_sync_.clear();
  WriterState* w = self->writer_.get();
  std::string dir = self->options_.dir;
  self->jobs_.submit(
      [w, dir]() noexcept -> Status {
        if (w->fd >= 0 && ::fdatasync(w->fd) != 0) return posixError("cannot fsync a segment in", dir, errno);
        return {};
      },
      [waiting](Status st) noexcept {
        for (auto& fn : *waiting) fn(st);
      });
}

}  // namespace sluice
