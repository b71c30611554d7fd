#include "agent/buffer/spool.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cinttypes>
#include <climits>
#include <cstring>
#include <filesystem>
#include <optional>
#include <random>

#include "agent/core/clock.h"
#include "agent/core/log.h"
#include "agent/core/units.h"
#include "agent/pipeline/frame.h"

namespace sluice {
namespace {

Error posixError(const std::string& what, const std::string& path, int err) {
  return Error{what + " " + path + ": " + std::strerror(err), -err};
}

uint32_t countFrames(std::string_view data) {
  uint32_t n = 0;
  for (std::string_view m : Frames(data)) {
    (void)m;
    ++n;
  }
  return n;
}

Result<std::string> readWholeFile(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return posixError("cannot open", path, errno);
  std::string out;
  struct stat st {};
  if (::fstat(fd, &st) == 0 && st.st_size > 0) out.reserve(static_cast<size_t>(st.st_size));
  char buf[1 << 16];
  ssize_t n;
  while ((n = ::read(fd, buf, sizeof buf)) != 0) {
    if (n < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      ::close(fd);
      return posixError("cannot read", path, err);
    }
    out.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return out;
}

Status writeWholeFile(const std::string& path, std::string_view data) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return posixError("cannot create", path, errno);
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      ::close(fd);
      return posixError("cannot write", path, err);
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  int rc = ::fsync(fd);
  int err = errno;
  ::close(fd);
  if (rc != 0) return posixError("cannot fsync", path, err);
  return {};
}

// Writes every byte of `iov` at `offset`, continuing after short writes.
Status pwriteAll(int fd, std::vector<struct iovec>& iov, uint64_t offset, const std::string& path) {
  size_t first = 0;
  while (first < iov.size()) {
    int count = static_cast<int>(std::min<size_t>(iov.size() - first, IOV_MAX));
    ssize_t n = ::pwritev(fd, iov.data() + first, count, static_cast<off_t>(offset));
    if (n < 0) {
      if (errno == EINTR) continue;
      return posixError("cannot write", path, errno);
    }
    offset += static_cast<uint64_t>(n);
    auto left = static_cast<size_t>(n);
    while (first < iov.size() && left >= iov[first].iov_len) {
      left -= iov[first].iov_len;
      ++first;
    }
    if (left > 0) {
      iov[first].iov_base = static_cast<char*>(iov[first].iov_base) + left;
      iov[first].iov_len -= left;
    }
  }
  return {};
}

std::string randomId() {
  std::random_device rd;
  uint64_t v = (static_cast<uint64_t>(rd()) << 32) ^ rd();
  char buf[17];
  snprintf(buf, sizeof buf, "%016" PRIx64, v);
  return buf;
}

}  // namespace

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

std::string Spool::segmentPath(uint32_t id) const {
  char name[32];
  snprintf(name, sizeof name, "/seg-%08u.spl", id);
  return options_.dir + name;
}

Result<std::unique_ptr<Spool>> Spool::open(Loop& loop, SpoolOptions options, SpoolReport* report) {
  std::unique_ptr<Spool> spool(new Spool(loop, std::move(options)));
  SpoolReport local;
  Status st = spool->recover(report != nullptr ? report : &local);
  if (!st) return st.takeError();
  Spool* s = spool.get();
  s->ledger_timer_.init(s, [&](uv_timer_t* t) { return uv_timer_init(loop.get(), t); });
  auto every = static_cast<uint64_t>(std::max<int64_t>(s->options_.ledger_interval.count(), 10));
  uv_timer_start(s->ledger_timer_.get(), &Spool::onLedgerTimer, every, every);
  uv_unref(s->ledger_timer_.handle());
  if (s->options_.sync == SyncMode::Interval) {
    s->sync_timer_.init(s, [&](uv_timer_t* t) { return uv_timer_init(loop.get(), t); });
    auto iv = static_cast<uint64_t>(std::max<int64_t>(s->options_.sync_interval.count(), 1));
    uv_timer_start(s->sync_timer_.get(), &Spool::onSyncTimer, iv, iv);
    uv_unref(s->sync_timer_.handle());
  }
  return spool;
}

Status Spool::recover(SpoolReport* report) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::create_directories(options_.dir + "/quarantine", ec);
  if (ec) return makeError("cannot create spool directory " + options_.dir + ": " + ec.message());

  auto ledger = readLedgerFile(options_.dir);
  if (!ledger) {
    std::string aside = options_.dir + "/ledger.corrupt-" + std::to_string(wallMicros() / 1000000);
    fs::rename(options_.dir + "/ledger", aside, ec);
    report->notes.push_back(ledger.error().message + ": moved to " + aside +
                            "; every record in the spool is replayed (duplicates are possible, losses are not)");
    ledger_ = Ledger{};
  } else {
    ledger_ = *ledger;
  }
  if (ledger_.id.empty()) ledger_.id = randomId();

  std::vector<uint32_t> ids;
  for (const auto& e : fs::directory_iterator(options_.dir, ec)) {
    unsigned id = 0;
    std::string name = e.path().filename().string();
    if (sscanf(name.c_str(), "seg-%8u.spl", &id) == 1 && name.size() == 16) ids.push_back(id);
  }
  std::sort(ids.begin(), ids.end());
  uint32_t next_id = ids.empty() ? 1 : ids.back() + 1;

  auto index = [&](uint32_t id, std::string_view bytes, const std::vector<ScannedRecord>& records) {
    Segment seg;
    seg.size = bytes.size();
    for (const ScannedRecord& r : records) {
      max_seq_ = std::max(max_seq_, r.seq);
      if (r.seq <= ledger_.acked) continue;  // acknowledged before the restart
      std::string_view data = bytes.substr(r.offset + kRecordHeader, r.len);
      Entry e{id, r.offset, r.len, countFrames(data), true};
      unread_[r.seq] = e;
      unread_frames_ += e.frames;
      ++seg.live;
      report->records += 1;
      report->frames += e.frames;
      report->bytes += r.len;
    }
    segments_[id] = seg;
    disk_bytes_ += seg.size;
  };

  for (size_t i = 0; i < ids.size(); ++i) {
    const uint32_t id = ids[i];
    const std::string path = segmentPath(id);
    auto bytes = readWholeFile(path);
    if (!bytes) {
      report->notes.push_back(bytes.error().message + ": segment skipped");
      continue;
    }
    SegmentScan scan = scanSegment(*bytes);
    const std::string name = fs::path(path).filename().string();
    if (scan.tail == SegmentScan::Tail::Clean) {
      index(id, *bytes, scan.records);
      continue;
    }
    const bool last = i + 1 == ids.size();
    if (scan.tail == SegmentScan::Tail::Torn && last) {
      // A crash during a write: the records before it are whole.
      if (::truncate(path.c_str(), static_cast<off_t>(scan.valid_bytes)) != 0) {
        return posixError("cannot truncate", path, errno);
      }
      report->torn_records += scan.bad_records;
      report->torn_bytes += scan.bad_bytes;
      report->notes.push_back(name + ": " + scan.problem + " (a crash during a write): truncated " +
                              std::to_string(scan.bad_bytes) + " bytes");
      index(id, std::string_view(*bytes).substr(0, scan.valid_bytes), scan.records);
      continue;
    }
    // Damaged: the segment goes to quarantine; its good records come back in a segment of their own.
    std::string qpath = options_.dir + "/quarantine/" + name + "." + std::to_string(wallMicros() / 1000000);
    fs::rename(path, qpath, ec);
    if (ec) return makeError("cannot move " + path + " to quarantine: " + ec.message());
    report->corrupt_records += scan.bad_records;
    report->corrupt_bytes += scan.bad_bytes;
    report->notes.push_back(name + ": " + scan.problem + ": skipped " + std::to_string(scan.bad_records) +
                            (scan.bad_records == 1 ? " record (" : " records (") + std::to_string(scan.bad_bytes) +
                            " bytes), moved to " + qpath);
    if (!scan.records.empty()) {
      uint32_t nid = next_id++;
      std::string_view good = std::string_view(*bytes).substr(0, scan.valid_bytes);
      Status w = writeWholeFile(segmentPath(nid), good);
      if (!w) return w;
      index(nid, good, scan.records);
    }
  }

  // A new epoch: this run's sequence numbers are above every earlier one.
  ledger_.epoch = std::max<uint32_t>(ledger_.epoch, static_cast<uint32_t>(max_seq_ >> 40)) + 1;
  Status w = writeLedgerFile(options_.dir, ledger_);
  if (!w) return w;
  persisted_acked_ = ledger_.acked;
  // Segments with nothing left to replay go, now that the ledger covering them is durable.
  bool removed = false;
  for (auto it = segments_.begin(); it != segments_.end();) {
    if (it->second.live == 0) {
      ::unlink(segmentPath(it->first).c_str());
      disk_bytes_ -= it->second.size;
      it = segments_.erase(it);
      removed = true;
    } else {
      ++it;
    }
  }
  if (removed) (void)syncDirectory(options_.dir);
  write_segment_ = 0;  // appends go to a new segment
  next_segment_ = std::max(next_id, segments_.empty() ? 1u : segments_.rbegin()->first + 1);
  return {};
}

uint64_t Spool::ackedPosition() const {
  uint64_t low = UINT64_MAX;
  if (!unread_.empty()) low = std::min(low, unread_.begin()->first);
  if (!outstanding_.empty()) low = std::min(low, outstanding_.begin()->first);
  return low == UINT64_MAX ? max_seq_ : low - 1;
}

void Spool::append(uint64_t seq, std::string_view data, uint32_t frames, std::function<void(Status)> done) {
  if (closed_) {
    loop_.post([done = std::move(done)] { done(makeError("the spool is closed")); });
    return;
  }
  const uint64_t rec = kRecordHeader + data.size();
  if (write_segment_ == 0 ||
      (segments_[write_segment_].size > 0 && segments_[write_segment_].size + rec > options_.segment_bytes)) {
    write_segment_ = next_segment_++;
    segments_[write_segment_] = Segment{};
  }
  Segment& seg = segments_[write_segment_];
  PendingAppend p{seq, write_segment_, seg.size, data, {}, std::move(done)};
  encodeRecordHeader(seq, data, p.header);
  unread_[seq] = Entry{write_segment_, seg.size, static_cast<uint32_t>(data.size()), frames, false};
  unread_frames_ += frames;
  seg.size += rec;
  seg.live += 1;
  disk_bytes_ += rec;
  max_seq_ = std::max(max_seq_, seq);
  pending_.push_back(std::move(p));
  if (!append_running_) startAppendJob();
}

void Spool::startAppendJob() {
  append_running_ = true;
  auto batch = std::make_shared<std::vector<PendingAppend>>(std::move(pending_));
  pending_.clear();
  // An older batch spilled at shutdown lies below the persisted position: the ledger must step back first.
  std::optional<Ledger> lower;
  for (const PendingAppend& p : *batch) {
    if (p.seq <= persisted_acked_) {
      lower = ledger_;
      lower->acked = ackedPosition();
      break;
    }
  }
  WriterState* w = writer_.get();
  std::string dir = options_.dir;
  SyncMode sync = options_.sync;
  auto work = [this, batch, w, dir, sync, lower]() -> Status {
    bool created = false;
    size_t i = 0;
    while (i < batch->size()) {
      const uint32_t segment = (*batch)[i].segment;
      const std::string path = segmentPath(segment);
      if (w->segment != segment || w->fd < 0) {
        if (w->fd >= 0) {
          if (sync != SyncMode::None && ::fdatasync(w->fd) != 0) return posixError("cannot fsync", path, errno);
          ::close(w->fd);
        }
        w->fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
        if (w->fd < 0) return posixError("cannot open", path, errno);
        w->segment = segment;
        created = true;
      }
      std::vector<struct iovec> iov;
      uint64_t offset = (*batch)[i].offset;
      for (; i < batch->size() && (*batch)[i].segment == segment; ++i) {
        PendingAppend& p = (*batch)[i];
        iov.push_back({p.header, kRecordHeader});
        iov.push_back({const_cast<char*>(p.data.data()), p.data.size()});
      }
      Status st = pwriteAll(w->fd, iov, offset, path);
      if (!st) return st;
    }
    if (sync == SyncMode::Batch && w->fd >= 0 && ::fdatasync(w->fd) != 0) {
      return posixError("cannot fsync", segmentPath(w->segment), errno);
    }
    if (created) {
      Status st = syncDirectory(dir);
      if (!st) return st;
    }
    if (lower) return writeLedgerFile(dir, *lower);
    return {};
  };
  jobs_.run(std::move(work), [this, batch, lower](Status st) {
    append_running_ = false;
    if (st && lower) persisted_acked_ = std::min(persisted_acked_, lower->acked);
    finishAppends(*batch, st);
    if (!pending_.empty()) startAppendJob();
  });
}

void Spool::finishAppends(std::vector<PendingAppend>& batch, const Status& st) {
  if (!st) {
    // The segment may now hold a partial record: nothing more goes into it, and the failed records are not
    // in the spool (the caller keeps them in memory).
    spdlog::error("spool {}: {}", options_.dir, st.error().message);
    for (PendingAppend& p : batch) {
      auto it = unread_.find(p.seq);
      if (it != unread_.end()) {
        unread_frames_ -= it->second.frames;
        uint32_t seg = it->second.segment;
        unread_.erase(it);
        releaseRecord(seg);
      }
    }
    if (!batch.empty() && batch.back().segment == write_segment_) write_segment_ = 0;
    for (PendingAppend& p : batch) p.done(st);
    return;
  }
  for (PendingAppend& p : batch) {
    auto it = unread_.find(p.seq);
    if (it != unread_.end()) it->second.on_disk = true;
    auto ot = outstanding_.find(p.seq);
    if (ot != outstanding_.end()) ot->second.on_disk = true;
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
  self->jobs_.run(
      [w, dir]() -> Status {
        if (w->fd >= 0 && ::fdatasync(w->fd) != 0) return posixError("cannot fsync a segment in", dir, errno);
        return {};
      },
      [waiting](Status st) {
        for (auto& fn : *waiting) fn(st);
      });
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
  std::string path = segmentPath(e.segment);
  jobs_.run(
      [path, e, dest, seq]() -> Status {
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
      [this, seq, frames = e.frames, done = std::move(done)](Status st) {
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
  releaseRecord(e.segment);
  ledger_dirty_ = true;
}

void Spool::releaseRecord(uint32_t segment) {
  auto seg = segments_.find(segment);
  if (seg == segments_.end() || seg->second.live == 0) return;
  if (--seg->second.live > 0) return;
  dead_bytes_ += seg->second.size;
  // A segment with nothing left stops taking appends, so that it can be deleted.
  if (segment == write_segment_) write_segment_ = 0;
  // Space is running short: give it back now rather than at the next tick.
  if (dead_bytes_ > options_.max_bytes / 4 && !ledger_running_ && !closed_) writeLedger([] {});
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
  if (self != nullptr && self->ledger_dirty_ && !self->ledger_running_) self->writeLedger([] {});
}

void Spool::writeLedger(std::function<void()> done) {
  ledger_running_ = true;
  ledger_dirty_ = false;
  Ledger l = ledger_;
  l.acked = ackedPosition();
  std::vector<uint32_t> dead;
  for (const auto& [id, seg] : segments_) {
    if (seg.live == 0 && id != write_segment_) dead.push_back(id);
  }
  std::vector<std::string> paths;
  for (uint32_t id : dead) paths.push_back(segmentPath(id));
  std::string dir = options_.dir;
  jobs_.run(
      [dir, l, paths]() -> Status {
        Status st = writeLedgerFile(dir, l);
        if (!st) return st;
        for (const auto& p : paths) ::unlink(p.c_str());
        if (!paths.empty()) return syncDirectory(dir);
        return {};
      },
      [this, l, dead, done = std::move(done)](Status st) {
        ledger_running_ = false;
        if (!st) {
          spdlog::error("spool {}: {}", options_.dir, st.error().message);
          ledger_dirty_ = true;
        } else {
          persisted_acked_ = l.acked;
          for (uint32_t id : dead) {
            auto it = segments_.find(id);
            if (it != segments_.end() && it->second.live == 0) {
              disk_bytes_ -= it->second.size;
              dead_bytes_ -= it->second.size;
              segments_.erase(it);
            }
          }
        }
        done();
      });
}

void Spool::flush(std::function<void()> done) {
  jobs_.whenIdle([this, done = std::move(done)]() mutable { writeLedger(std::move(done)); });
}

void Spool::close(std::function<void()> done) {
  closed_ = true;
  sync_timer_.close();
  ledger_timer_.close();
  jobs_.whenIdle([this, done = std::move(done)]() mutable {
    auto finish = [this, done = std::move(done)]() mutable {
      writeLedger([this, done = std::move(done)]() mutable {
        WriterState* w = writer_.get();
        jobs_.run(
            [w]() -> Status {
              if (w->fd >= 0) {
                ::fdatasync(w->fd);
                ::close(w->fd);
                w->fd = -1;
              }
              return {};
            },
            [done = std::move(done)](Status) { done(); });
      });
    };
    if (awaiting_sync_.empty()) {
      finish();
      return;
    }
    auto waiting = std::make_shared<std::vector<std::function<void(Status)>>>(std::move(awaiting_sync_));
    awaiting_sync_.clear();
    WriterState* w = writer_.get();
    jobs_.run(
        [w]() -> Status {
          if (w->fd >= 0) ::fdatasync(w->fd);
          return {};
        },
        [waiting, finish = std::move(finish)](Status st) mutable {
          for (auto& fn : *waiting) fn(st);
          finish();
        });
  });
}

}  // namespace sluice
