#include "agent/buffer/spool.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "agent/buffer/spool_io.h"
#include "agent/core/durable_file.h"
#include "agent/core/units.h"

namespace sluice {

Spool::Spool(Loop& loop, SpoolOptions options) : loop_(loop), options_(std::move(options)), jobs_(loop) {
  if (options_.segment_bytes == 0) {
    // Small enough that acknowledged space comes back in steps of a sixteenth; never more than a quarter.
    options_.segment_bytes = std::min<uint64_t>(std::clamp<uint64_t>(options_.max_bytes / 16, 1 << 20, 64 << 20),
                                                std::max<uint64_t>(options_.max_bytes / 4, 4096));
  }
}

Spool::~Spool() {
  if (!jobs_.idle()) spdlog::error("internal: spool {} destroyed with disk work running", options_.dir);
  if (writer_->fd >= 0) ::close(writer_->fd);
}

std::string Spool::segmentPathIn(const std::string& dir, uint32_t id) {
  char name[32];
  snprintf(name, sizeof name, "/seg-%08u.spl", id);
  return dir + name;
}

std::string Spool::pathOf(uint32_t id) const {
  auto it = segments_.find(id);
  if (it != segments_.end() && !it->second.quarantined.empty()) return it->second.quarantined;
  return segmentPath(id);
}

Result<std::unique_ptr<Spool>> Spool::open(Loop& loop, SpoolOptions options, SpoolReport* report) {
  std::unique_ptr<Spool> spool(new Spool(loop, std::move(options)));
  SpoolReport local;
  Status st = spool->recover(report != nullptr ? report : &local);
  if (!st) return st.takeError();
  Spool* s = spool.get();
  s->ledger_timer_.init(s, [&](uv_timer_t* t) noexcept { return uv_timer_init(loop.get(), t); });
  auto every = static_cast<uint64_t>(std::max<int64_t>(s->options_.ledger_interval.count(), 10));
  uv_timer_start(s->ledger_timer_.get(), &Spool::onLedgerTimer, every, every);
  uv_unref(s->ledger_timer_.handle());
  if (s->options_.sync == SyncMode::Interval) {
    s->sync_timer_.init(s, [&](uv_timer_t* t) noexcept { return uv_timer_init(loop.get(), t); });
    auto iv = static_cast<uint64_t>(std::max<int64_t>(s->options_.sync_interval.count(), 1));
    uv_timer_start(s->sync_timer_.get(), &Spool::onSyncTimer, iv, iv);
    uv_unref(s->sync_timer_.handle());
  }
  return spool;
}

void Spool::noteError(const char* type, const std::string& message) {
  countError(type);
  uint64_t suppressed = 0;
  if (error_log_.allow(&suppressed)) {
    spdlog::error("spool {}: {}{}", options_.dir, message,
                  suppressedNote(suppressed));
  }
}

uint64_t Spool::ackedPosition() const {
  uint64_t low = UINT64_MAX;
  if (!unread_.empty()) low = std::min(low, unread_.begin()->first);
  if (!outstanding_.empty()) low = std::min(low, outstanding_.begin()->first);
  return low == UINT64_MAX ? max_seq_ : low - 1;
}

AckState Spool::cursorState() const {
  AckState s;
  s.position = ackedPosition();
  s.epoch = ledger_.epoch;
  for (uint64_t seq : acked_above_) {
    if (!s.mark(seq)) break;  // beyond the window: sent again after a crash (at least once)
  }
  return s;
}

void Spool::writeCursor() {
  const uint64_t position = ackedPosition();
  while (!acked_above_.empty() && *acked_above_.begin() <= position) acked_above_.erase(acked_above_.begin());
  if (!cursor_.usable()) return;
  int err = cursor_.write(cursorState());
  if (err != 0) {
    noteError("spool_ack_write", std::string("cannot write an ack slot: ") + std::strerror(err) +
                                     " (after a crash, batches delivered since are sent again)");
    return;
  }
  cursor_dirty_ = true;
}

bool Spool::accepting() const {
  if (!no_space_) return true;
  return std::chrono::steady_clock::now() - no_space_at_ >= options_.no_space_retry;
}

void Spool::takeUnread(uint64_t seq) {
  auto it = unread_.find(seq);
  if (it == unread_.end()) return;
  unread_frames_ -= it->second.frames;
  outstanding_[seq] = it->second;
  unread_.erase(it);
}

bool Spool::canRead() const { return !reading_ && !unread_.empty() && unread_.begin()->second.on_disk; }

void Spool::readNext(ByteBuffer& out, std::function<void(Status, uint64_t, uint32_t)> done) {
  const uint64_t seq = unread_.begin()->first;
  const Entry e = unread_.begin()->second;
  takeUnread(seq);
  reading_ = true;
  out.resize(e.len);
  char* dest = out.data();
  std::string path = pathOf(e.segment);
  jobs_.submit(
      [path, e, dest, seq]() noexcept -> Status {
        int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
        if (fd < 0) return posixError("cannot open", path, errno);
        char header[kRecordHeader];
        ssize_t n = ::pread(fd, header, kRecordHeader, static_cast<off_t>(e.offset));
        size_t got = 0;
        while (n == static_cast<ssize_t>(kRecordHeader) && got < e.len) {
          ssize_t m = ::pread(fd, dest + got, e.len - got, static_cast<off_t>(e.offset + kRecordHeader + got));
          if (m <= 0) break;
          got += static_cast<size_t>(m);
        }
        ::close(fd);
        char expect[kRecordHeader];
        encodeRecordHeader(seq, std::string_view(dest, got), expect);
        if (got != e.len || std::memcmp(header, expect, kRecordHeader) != 0) {
          return makeError(path + ": record " + std::to_string(seq) + " at offset " + std::to_string(e.offset) +
                           " no longer matches its CRC");
        }
        return {};
      },
      [this, seq, frames = e.frames, done = std::move(done)](Status st) noexcept {
        reading_ = false;
        done(std::move(st), seq, frames);
      });
}

void Spool::ack(uint64_t seq) {
  Entry e;
  if (auto it = outstanding_.find(seq); it != outstanding_.end()) {
    e = it->second;
    outstanding_.erase(it);
  } else if (auto ut = unread_.find(seq); ut != unread_.end()) {
    e = ut->second;
    unread_frames_ -= e.frames;
    unread_.erase(ut);
  } else {
    return;
  }
  if (seq > ackedPosition()) acked_above_.insert(seq);
  writeCursor();
  releaseRecord(e.segment);
}

void Spool::releaseRecord(uint32_t segment) {
  auto seg = segments_.find(segment);
  if (seg == segments_.end() || seg->second.live == 0) return;
  if (--seg->second.live > 0) return;
  // A segment with nothing left stops taking appends and goes now: its acknowledgements are written already.
  if (segment == write_segment_) write_segment_ = 0;
  retire(segment);
}

void Spool::retire(uint32_t id) {
  Segment& seg = segments_[id];
  if (seg.deleting) return;
  seg.deleting = true;
  dead_bytes_ += seg.size;
  const std::string path = pathOf(id);
  const bool quarantined = !seg.quarantined.empty();
  const uint64_t good = seg.good_bytes;
  auto free = std::make_shared<uint64_t>(0);
  std::string dir = options_.dir;
  WriterState* w = writer_.get();
  jobs_.submit(
      [path, quarantined, good, free, dir, w, id]() noexcept -> Status {
        Status st;
        if (w->segment == id && w->fd >= 0) {  // an open descriptor would keep the space of the deleted file
          ::close(w->fd);
          w->fd = -1;
        }
        if (quarantined) {
          // The damaged bytes stay for whoever examines them; the replayed good records give their space back.
          int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
          if (fd >= 0) {
            (void)::fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, static_cast<off_t>(good));
            ::close(fd);
          }
        } else if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
          st = posixError("cannot delete", path, errno);
        }
        (void)freeBytes(dir, free.get());
        return st;
      },
      [this, id, free](Status st) noexcept {
        if (!st) noteError("spool_delete", st.error().message);
        auto it = segments_.find(id);
        if (it != segments_.end()) {
          disk_bytes_ -= it->second.size;
          dead_bytes_ -= it->second.size;
          segments_.erase(it);
        }
        dir_dirty_ = true;
        if (no_space_ && *free >= kLowDiskSpace) {
          no_space_ = false;
          spdlog::info("spool {}: the disk has room again ({} free); batches are spooled again", options_.dir,
                       formatSize(*free));
        }
      });
}

std::pair<uint64_t, uint32_t> Spool::dropOldestUnread() {
  if (unread_.empty()) return {0, 0};
  const uint64_t seq = unread_.begin()->first;
  const uint32_t frames = unread_.begin()->second.frames;
  ack(seq);
  return {seq, frames};
}

void Spool::onLedgerTimer(uv_timer_t* timer) noexcept {
  Spool* self = ownerOf<Spool>(timer);
  if (self == nullptr || self->closed_) return;
  if (!self->cursor_.usable() && !self->cursor_opening_) {
    // The slots could not be made at start (a full disk): try again, now that space may have come back.
    self->cursor_opening_ = true;
    auto fd = std::make_shared<int>(-1);
    std::string dir = self->options_.dir;
    self->jobs_.submit(
        [fd, dir]() noexcept -> Status {
          auto r = AckCursor::openFile(dir);
          if (!r) return r.takeError();
          *fd = *r;
          return {};
        },
        [self, fd](Status st) noexcept {
          self->cursor_opening_ = false;
          if (!st || self->closed_) {
            if (*fd >= 0) ::close(*fd);
            return;
          }
          self->cursor_.attach(*fd, self->cursor_.generation());
          if (self->cursor_.writeBoth(self->cursorState()) == 0) {
            self->cursor_dirty_ = true;
            spdlog::info("spool {}: acknowledgements are written to the ack slots again", self->options_.dir);
          }
        });
  }
  if ((self->cursor_dirty_ || self->dir_dirty_) && !self->syncing_) self->syncCursor([] {});
}

void Spool::syncCursor(std::function<void()> done) {
  syncing_ = true;
  const bool dir = dir_dirty_;
  cursor_dirty_ = false;
  dir_dirty_ = false;
  const int fd = cursor_.fd();
  std::string path = options_.dir;
  jobs_.submit(
      [fd, dir, path]() noexcept -> Status {
        if (fd >= 0 && ::fdatasync(fd) != 0) return posixError("cannot fsync the ack slots in", path, errno);
        if (dir) return syncDirectory(path);
        return {};
      },
      [this, done = std::move(done)](Status st) noexcept {
        syncing_ = false;
        if (!st) {
          noteError("spool_sync", st.error().message);
          cursor_dirty_ = true;
        }
        done();
      });
}

void Spool::flush(std::function<void()> done) {
  jobs_.whenIdle([this, done = std::move(done)]() mutable { syncCursor(std::move(done)); });
}

void Spool::close(std::function<void()> done) {
  closed_ = true;
  sync_timer_.close();
  ledger_timer_.close();
  jobs_.whenIdle([this, done = std::move(done)]() mutable {
    auto finish = [this, done = std::move(done)]() mutable {
      WriterState* w = writer_.get();
      const int cursor_fd = cursor_.fd();
      const bool dir = dir_dirty_;
      std::string path = options_.dir;
      jobs_.submit(
          [w, cursor_fd, dir, path]() noexcept -> Status {
            if (w->fd >= 0) {
              ::fdatasync(w->fd);
              ::close(w->fd);
              w->fd = -1;
            }
            if (cursor_fd >= 0) ::fdatasync(cursor_fd);
            if (dir) (void)syncDirectory(path);
            return {};
          },
          [done = std::move(done)](Status) noexcept { done(); });
    };
    if (awaiting_sync_.empty()) {
      finish();
      return;
    }
    auto waiting = std::make_shared<std::vector<std::function<void(Status)>>>(std::move(awaiting_sync_));
    awaiting_sync_.clear();
    WriterState* w = writer_.get();
    jobs_.submit(
        [w]() noexcept -> Status {
          if (w->fd >= 0) ::fdatasync(w->fd);
          return {};
        },
        [waiting, finish = std::move(finish)](Status st) mutable noexcept {
          for (auto& fn : *waiting) fn(st);
          finish();
        });
  });
}

}  // namespace sluice
