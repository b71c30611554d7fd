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

void Spool::startAppendJob() {
  append_running_ = true;
  auto batch = std::make_shared<std::vector<PendingAppend>>(std::move(pending_));
  pending_.clear();
  bool sync_cursor = false;
  for (const PendingAppend& p : *batch) sync_cursor = sync_cursor || p.step_back;
  sync_cursor = sync_cursor && options_.sync != SyncMode::None;
  WriterState* w = writer_.get();
  std::string dir = options_.dir;
  SyncMode sync = options_.sync;
  const int cursor_fd = cursor_.fd();
  // When a write fails (a full disk), the records written whole before it are kept: how many.
  auto kept = std::make_shared<size_t>(0);
  auto work = [batch, w, dir, sync, sync_cursor, cursor_fd, kept]() noexcept -> Status {
    auto segmentPath = [&dir](uint32_t id) { return segmentPathIn(dir, id); };
    auto recordEnd = [&](size_t k) { return (*batch)[k].offset + kRecordHeader + (*batch)[k].data.size(); };
    struct Written {
      uint32_t segment;
      uint64_t start;  // where this job began writing in it
    };
    std::vector<Written> touched;
    bool created = false;
    Status st;
    Status write_st;
    size_t keep = 0;
    size_t i = 0;
    while (st && write_st && i < batch->size()) {
      const uint32_t segment = (*batch)[i].segment;
      const std::string path = segmentPath(segment);
      if (w->segment != segment || w->fd < 0) {
        if (w->fd >= 0) {
          if (sync != SyncMode::None && ::fdatasync(w->fd) != 0) {
            st = posixError("cannot fsync", segmentPath(w->segment), errno);
            break;
          }
          ::close(w->fd);
          w->fd = -1;
        }
        w->fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
        if (w->fd < 0) {
          st = posixError("cannot open", path, errno);
          break;
        }
        w->segment = segment;
        created = true;
      }
      touched.push_back(Written{segment, (*batch)[i].offset});
      const size_t first = i;
      std::vector<struct iovec> iov;
      uint64_t offset = (*batch)[i].offset;
      for (; i < batch->size() && (*batch)[i].segment == segment; ++i) {
        PendingAppend& p = (*batch)[i];
        iov.push_back({p.header, kRecordHeader});
        iov.push_back({const_cast<char*>(p.data.data()), p.data.size()});
      }
      uint64_t written = 0;
      write_st = pwriteAll(w->fd, iov, offset, path, &written);
      if (!write_st) {
        // The records written whole stay; the file is cut where the first one that is not begins (or removed
        // when that is its start), so no partial record and no empty segment stays behind.
        keep = first;
        while (keep < i && recordEnd(keep) <= offset + written) ++keep;
        const uint64_t cut = keep < i ? (*batch)[keep].offset : offset + written;
        if (cut == 0) {
          ::close(w->fd);
          w->fd = -1;
          ::unlink(path.c_str());
          touched.pop_back();
        } else if (::ftruncate(w->fd, static_cast<off_t>(cut)) != 0) {
          st = posixError("cannot cut back", path, errno);
        }
      }
    }
    if (st && sync == SyncMode::Batch && w->fd >= 0 && ::fdatasync(w->fd) != 0) {
      st = posixError("cannot fsync", segmentPath(w->segment), errno);
    }
    if (st && created) st = syncDirectory(dir);
    if (st && sync_cursor && cursor_fd >= 0 && ::fdatasync(cursor_fd) != 0) {
      st = posixError("cannot fsync the ack slots in", dir, errno);
    }
    if (st && write_st) return st;
    if (st) {
      *kept = keep;  // durable like a success: reported done; the rest failed
      return write_st;
    }
    // Anything else failed: nothing of this job is kept, cutting each file back needs no free space.
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
    return st;
  };
  jobs_.submit(std::move(work), [this, batch, kept](Status st) noexcept {
    append_running_ = false;
    if (st) {
      finishAppends(*batch, true);
    } else {
      // What was queued behind the failed write would meet the same disk: it fails too, and the segments are
      // laid out again from where the failure began.
      std::vector<PendingAppend> done(std::make_move_iterator(batch->begin()),
                                      std::make_move_iterator(batch->begin() + static_cast<ptrdiff_t>(*kept)));
      std::vector<PendingAppend> failed(std::make_move_iterator(batch->begin() + static_cast<ptrdiff_t>(*kept)),
                                        std::make_move_iterator(batch->end()));
      for (PendingAppend& p : pending_) failed.push_back(std::move(p));
      pending_.clear();
      if (!done.empty()) finishAppends(done, false);
      failAppends(failed, st);
    }
    if (!pending_.empty() && !append_running_) startAppendJob();
  });
}

void Spool::resize(Segment& seg, uint64_t size) {
  disk_bytes_ = disk_bytes_ - seg.size + size;
  if (seg.deleting) dead_bytes_ = dead_bytes_ - seg.size + size;
  seg.size = size;
}

void Spool::failAppends(std::vector<PendingAppend>& batch, const Status& st) {
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
  for (PendingAppend& p : batch) p.done(st);
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
