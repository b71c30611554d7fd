#include "agent/core/units.h"
#include "plugins/tail/tailed_file.h"

#include <sys/inotify.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "agent/core/clock.h"
#include "agent/pipeline/source.h"
#include "plugins/tail/path_names.h"

namespace sluice::plugins::tail {
namespace {

// Big enough that the thread-pool round trip is paid once per ~1,300 lines of 100 bytes, small enough that a few
// reads in flight stay a small part of the memory budget.
constexpr size_t kReadBytes = 128 * 1024;
// The most a file may have grown, by its last look, for its next read to be done on the loop (see tailed_file.h).
constexpr uint64_t kInlineReadBytes = 64 * 1024;
// Docker and CRI lines hold at most 16 KiB of text (the runtimes split longer ones), escaped as JSON at worst
// six-fold: a physical line this long is never cut before it is parsed.
constexpr size_t kStructuredLineBytes = 128 * 1024;
// An acknowledgement entry holds at most this many messages. After a crash, the lines sent again are those of the
// batches in flight plus, at most, the part of one entry that was delivered before them: the finer, the fewer
// duplicates, for one more entry (a few dozen nanoseconds) per this many lines. Cuts fall on multiples of it
// counted from the file's first message, so with one sink whose batches close at a multiple of it (the default
// max_messages, 1000) the cuts and the batches line up and only the batches in flight come again.
constexpr uint64_t kAckMessages = 100;

}  // namespace

TailedFile::TailedFile(TailContext& ctx, std::string path, std::string real_path, int fd, const FileStat& stat,
                       uint64_t offset, Fingerprint fingerprint)
    : ctx_(ctx),
      path_(std::move(path)),
      real_path_(std::move(real_path)),
      fd_(fd),
      key_(stat.key),
      fingerprint_(fingerprint),
      read_offset_(offset),
      acked_offset_(offset),
      physical_limit_(ctx.options.format == TailFormat::Raw
                          ? ctx.options.max_line_bytes
                          : std::max(ctx.options.max_line_bytes, kStructuredLineBytes)),
      decoder_(ctx.options.format, ctx.options.max_line_bytes, ctx.options.malformed) {
  info_.id = nextSourceId();
  info_.name = ctx.source_name;
  info_.instance = fileSourceName(ctx.options.source_name, ctx.source_name, path_);
  info_.type = "tail";
  record_.source = &info_;
  last_data_ms_ = ctx_.loop.nowMs();
  seen_size_ = stat.size;
  local_ = onLocalFileSystem(fd_);
  watch();
}

TailedFile::~TailedFile() {
  stopWatching();
  if (state_ == State::Draining) --ctx_.draining_files;
  if (state_ == State::Finished) --ctx_.finished_files;
  if (inflight_ != nullptr) {
    // The thread pool still writes into the read's buffer: the read owns it, and the descriptor, from now on.
    inflight_->file = nullptr;
    inflight_->orphan_fd = fd_;
  } else if (fd_ >= 0) {
    ::close(fd_);
  }
  if (fd_ >= 0 && ctx_.fd_closed) ctx_.fd_closed(*this);
}

void TailedFile::watch() {
  const int rc = ctx_.watches.add(real_path_, *this);
  if (rc < 0) {
    // Out of inotify watches, or a file system without them: the poll timer still looks at the file.
    uint64_t suppressed = 0;
    if (log_.allow(&suppressed)) {
      spdlog::debug("source {}: no change notification for {} ({}); polling it", ctx_.source_name, path_,
                    uv_strerror(rc));
    }
    return;
  }
  wd_ = rc;
}

void TailedFile::stopWatching() {
  if (wd_ >= 0) ctx_.watches.remove(wd_, *this);
  wd_ = -1;
}

void TailedFile::onWatchEvent(uint32_t mask) {
  if ((mask & IN_IGNORED) != 0) {
    wd_ = -1;  // the kernel dropped the watch (the file was deleted while closed): the poll looks at it now
    return;
  }
  // IN_ATTRIB may be the file's unlink (its link count): an fstat says.
  markForLook((mask & (IN_MOVE_SELF | IN_DELETE_SELF)) != 0 ? Look::Path
              : (mask & IN_ATTRIB) != 0                      ? Look::Content
                                                             : Look::Written);
}

void TailedFile::markForLook(Look look) {
  events_look_ = std::max(events_look_, look);
  if (!gathered) {
    gathered = true;
    ctx_.gather(*this);
  }
}

bool TailedFile::readsInline() const {
  // Caught up (the last read found the end) and grown by little since: those bytes are in the page cache.
  return local_ && at_eof_ && seen_size_ >= read_offset_ && seen_size_ - read_offset_ <= kInlineReadBytes;
}

// A write to a file that was read to its end, on a local file system: read on the loop with no look first, from the
// bytes before the offset on (one preadv). Those bytes must be the ones read last: if they are not, or the file
// ends before them, it was truncated (and maybe written again past our offset: copytruncate under a busy writer).
bool TailedFile::readsWritten() const {
  return local_ && at_eof_ && state_ == State::Active && read_offset_ > 0 &&
         tail_len_ == std::min<uint64_t>(tail_.size(), read_offset_);
}

ssize_t TailedFile::readOnLoop(iovec* iov, int count, uint64_t at, int flags) const {
  ssize_t n;
  do {
    n = ::preadv2(fd_, iov, count, static_cast<off_t>(at), flags);
  } while (n < 0 && errno == EINTR);
  return n < 0 ? -errno : n;
}

// Catching up on a file (a backlog, a file found at start, a burst of writes) whose bytes are in the page cache, as
// bytes just written are: read on the loop without waiting for the disk. A read in the pool costs a wake-up of a
// worker and then of the loop per 128 KiB, more than the read itself. What is not cached (EAGAIN) is read in the
// pool as before, so the loop never waits for a disk.
TailedFile::ReadStart TailedFile::readCached(uv_buf_t buf) {
  iovec iov{buf.base, buf.len};
  const ssize_t n = readOnLoop(&iov, 1, read_offset_, RWF_NOWAIT);
  if (n == -EOPNOTSUPP || n == -EINVAL || n == -ENOSYS) nowait_reads_ = false;  // a kernel or file system without it
  if (n < 0) return ReadStart::None;  // EAGAIN: not cached; an error: the pool's read reports it
  const size_t got = static_cast<size_t>(n);
  ++ctx_.reads_cached;
  ctx_.cached_read_budget -= std::min(ctx_.cached_read_budget, got);
  if (ctx_.cached_read_budget == 0 && ctx_.cached_budget_spent) ctx_.cached_budget_spent();
  // A short read may be only the end of what is cached: it is the end of the file only where the file ended.
  if (got < buf.len && read_offset_ + got < seen_size_) buf.len = got;
  return settleOnLoop(n, buf);
}

TailedFile::ReadStart TailedFile::settleOnLoop(ssize_t result, uv_buf_t buf) {
  if (settleRead(result, buf.base, buf.len, false)) ctx_.want_read(*this);
  return ReadStart::Done;
}

TailedFile::ReadStart TailedFile::readWritten(uv_buf_t buf) {
  char before[Fingerprint::kBytes];
  iovec iov[2] = {{before, tail_len_}, {buf.base, buf.len}};
  const ssize_t n = readOnLoop(iov, 2, read_offset_ - tail_len_);
  if (n >= 0 && (static_cast<size_t>(n) < tail_len_ || std::memcmp(before, tail_.data(), tail_len_) != 0)) {
    std::optional<FileStat> st = statFd(fd_);
    seen_size_ = st ? st->size : 0;
    truncated(seen_size_);
    return ReadStart::Done;
  }
  const ssize_t got = n < 0 ? n : n - static_cast<ssize_t>(tail_len_);
  if (got > 0) seen_size_ = std::max(seen_size_, read_offset_ + static_cast<uint64_t>(got));
  return settleOnLoop(got, buf);
}

TailedFile::ReadStart TailedFile::startRead() {
  if (state_ == State::Finished || reading_ || fd_ < 0) return ReadStart::None;
  // The rotated file at this path is read to its end first; its drained() queues us again.
  if (waitingForPredecessor()) return ReadStart::None;
  if (!splitter_) takeSplitter();
  uv_buf_t buf = splitter_->readBuffer(kReadBytes);
  if (std::exchange(read_written_, false) && readsWritten()) return readWritten(buf);
  if (readsInline()) {
    iovec iov{buf.base, buf.len};
    return settleOnLoop(readOnLoop(&iov, 1, read_offset_), buf);
  }
  if (local_ && nowait_reads_ && ctx_.options.cached_reads && ctx_.cached_read_budget > 0) {
    if (ReadStart done = readCached(buf); done != ReadStart::None) return done;
  }
  auto r = ReadReq::make(ReadData{this, std::move(splitter_), buf.base, buf.len});
  ReadReq* in_flight = r.get();
  int rc = ReadReq::start(r, [&](uv_fs_t* req) {
    return uv_fs_read(ctx_.loop.get(), req, fd_, &buf, 1, static_cast<int64_t>(read_offset_), &TailedFile::onRead);
  });
  if (rc < 0) {
    splitter_ = std::move(r->splitter);
    ++ctx_.counters.errors["read"];
    uint64_t suppressed = 0;
    if (log_.allow(&suppressed)) spdlog::warn("source {}: cannot read {}: {}", ctx_.source_name, path_, uv_strerror(rc));
    return ReadStart::None;
  }
  inflight_ = in_flight;
  reading_ = true;
  ++ctx_.reads_in_pool;
  return ReadStart::InFlight;
}

void TailedFile::onRead(uv_fs_t* req) noexcept {
  auto r = ReadReq::adopt(req);
  const ssize_t n = req->result;
  TailedFile* self = r->file;
  if (self == nullptr) {
    if (r->orphan_fd >= 0) ::close(r->orphan_fd);
    return;
  }
  self->inflight_ = nullptr;
  self->splitter_ = std::move(r->splitter);
  const char* base = r->base;
  const size_t asked = r->asked;
  r.reset();
  self->readDone(n, base, asked);
}

void TailedFile::readDone(ssize_t n, const char* base, size_t asked) {
  reading_ = false;
  const bool more = settleRead(n, base, asked, true);
  ctx_.read_done(*this);
  if (more) {
    ctx_.want_read(*this);
  } else if (dirty_) {
    dirty_ = false;
    check(std::exchange(dirty_look_, Look::Size));
  }
}

bool TailedFile::settleRead(ssize_t n, const char* base, size_t asked, bool in_flight) {
  if (n < 0) {
    ++ctx_.counters.errors["read"];
    uint64_t suppressed = 0;
    if (log_.allow(&suppressed)) {
      spdlog::warn("source {}: read error on {}: {}; trying again at the next poll", ctx_.source_name, path_,
                   uv_strerror(static_cast<int>(n)));
    }
    return false;
  }
  if (n == 0) {
    at_eof_ = true;
    if (splitter_ && splitter_->pendingBytes() == 0) releaseSplitter();  // idle: give the buffer back
    if (state_ == State::Draining && !drained_once_) {
      drained_once_ = true;
      ctx_.drained(*this);
    }
    return false;
  }
  at_eof_ = false;
  ++reads_since_open_;
  keepTail(base, static_cast<size_t>(n));
  route(static_cast<size_t>(n), base);
  if (static_cast<size_t>(n) < asked && state_ == State::Active) {
    // A short read is the end for now (a rotated file reads on to a read of nothing, which marks it drained):
    // one read per small write instead of two. A write since is an inotify event, or the poll.
    at_eof_ = true;
    if (splitter_ && splitter_->pendingBytes() == 0) releaseSplitter();
    // Without inotify, look at the size once more now that a read in the thread pool is done (with it, a write
    // since is an event; a read on the loop took whatever was written before it).
    dirty_ = dirty_ || (in_flight && !watched());
    return false;
  }
  return true;
}

namespace {
constexpr size_t kMaxSpareSplitters = 8;
}  // namespace

void TailedFile::takeSplitter() {
  if (!ctx_.spare_splitters.empty()) {
    splitter_ = std::move(ctx_.spare_splitters.back());
    ctx_.spare_splitters.pop_back();
  } else {
    splitter_ = std::make_unique<LineSplitter>(physical_limit_);
  }
  splitter_split_seen_ = splitter_->splitLines();
}

void TailedFile::releaseSplitter() {
  if (!splitter_) return;
  if (splitter_->pendingBytes() == 0 && ctx_.spare_splitters.size() < kMaxSpareSplitters) {
    splitter_->reset();
    ctx_.spare_splitters.push_back(std::move(splitter_));
  }
  splitter_.reset();
}

void TailedFile::keepTail(const char* base, size_t n) {
  if (n >= tail_.size()) {
    std::memcpy(tail_.data(), base + n - tail_.size(), tail_.size());
    tail_len_ = tail_.size();
    return;
  }
  const size_t keep = std::min(tail_len_, tail_.size() - n);
  std::memmove(tail_.data(), tail_.data() + tail_len_ - keep, keep);
  std::memcpy(tail_.data() + keep, base, n);
  tail_len_ = keep + n;
}

AckEntry& TailedFile::openEntry() {
  acks_.emplace_back();
  AckEntry& e = acks_.back();
  e.open([this](AckEntry& entry, bool ok) { onAck(entry, ok); });
  return e;
}

void TailedFile::emit(const DecodedMessage& m, AckEntry& entry) {
  record_.message = m.text;
  record_.event_us = m.event_us;
  record_.severity = m.is_stderr ? Severity::Error : Severity::Info;
  record_.ack = &entry;
  ctx_.router.route(record_);
}

uint64_t TailedFile::safeOffset() const {
  uint64_t pending = splitter_ ? splitter_->pendingBytes() : 0;
  return std::min(read_offset_ - pending, decoder_.heldFrom());
}

void TailedFile::route(size_t n, const char* base) {
  record_.received_us = wallMicros();  // one clock read per read, not per line
  ctx_.counters.received_bytes += n;
  last_data_ms_ = ctx_.loop.nowMs();
  AckEntry* entry = &openEntry();
  const size_t pending_before = splitter_->pendingBytes();
  const char* buf_start = base - pending_before;
  const uint64_t buf_offset = read_offset_ - pending_before;  // the file offset of buf_start
  read_offset_ += n;
  const uint64_t messages_before = messages_;
  uint64_t cut_at = (messages_ / kAckMessages + 1) * kAckMessages;
  auto out = [&](const DecodedMessage& m) {
    emit(m, *entry);
    ++messages_;
  };
  splitter_->commit(n, [&](std::string_view line, bool piece) {
    const uint64_t offset = buf_offset + static_cast<uint64_t>(line.data() - buf_start);
    if (messages_ >= cut_at && !piece) {
      // Everything before this line is in the entry's messages, or held by the decoder (a part without its end).
      entry->setPosition(std::min(offset, decoder_.heldFrom()));
      entry->release(true);
      entry = &openEntry();
      cut_at = (messages_ / kAckMessages + 1) * kAckMessages;
    }
    decoder_.feed(line, offset, piece, out);
  });
  ctx_.counters.received_events += messages_ - messages_before;
  entry->setPosition(safeOffset());
  noteProblems();
  entry->release(true);
}

void TailedFile::flushHeld() {
  const bool pending = splitter_ && splitter_->pendingBytes() > 0;
  if (!pending && !decoder_.holding()) return;
  record_.received_us = wallMicros();
  AckEntry& entry = openEntry();
  uint64_t messages = 0;
  auto out = [&](const DecodedMessage& m) {
    emit(m, entry);
    ++messages;
  };
  if (pending) {
    const char* start = splitter_->pending().data();
    const uint64_t start_offset = read_offset_ - splitter_->pendingBytes();
    splitter_->finish([&](std::string_view line, bool piece) {
      decoder_.feed(line, start_offset + static_cast<uint64_t>(line.data() - start), piece, out);
    });
  }
  decoder_.flush(out);
  messages_ += messages;
  ctx_.counters.received_events += messages;
  entry.setPosition(read_offset_);
  noteProblems();
  entry.release(true);
}

void TailedFile::noteProblems() {
  uint64_t split = decoder_.splitLines() - decoder_split_seen_;
  if (splitter_) {
    split += splitter_->splitLines() - splitter_split_seen_;
    splitter_split_seen_ = splitter_->splitLines();
  }
  decoder_split_seen_ = decoder_.splitLines();
  const uint64_t malformed = decoder_.malformedLines() - malformed_seen_;
  malformed_seen_ = decoder_.malformedLines();
  if (split == 0 && malformed == 0) return;
  ctx_.counters.split_lines += split;
  if (malformed > 0) {
    ctx_.counters.errors[decoder_.format() == TailFormat::Docker ? "parse_docker" : "parse_cri"] += malformed;
    const uint64_t dropped = decoder_.droppedLines() - dropped_seen_;
    dropped_seen_ = decoder_.droppedLines();
    if (dropped > 0) {
      ctx_.counters.dropped["malformed"] += dropped;
      ctx_.counters.received_events += dropped;
    }
    // Once per file: a file of bad lines must not flood the log; the counters say how many followed.
    if (!malformed_logged_) {
      malformed_logged_ = true;
      const bool drop = decoder_.malformedPolicy() == MalformedLines::Drop;
      spdlog::warn("source {}: {}: the line at offset {} is not in {} format: {} (further ones in this file are "
                   "only counted, as errors_total{{error_type=\"parse_{}\"}}{})",
                   ctx_.source_name, path_, decoder_.firstMalformedOffset(), tailFormatName(decoder_.format()),
                   drop ? "dropped (malformed: drop)" : "sent as it is", tailFormatName(decoder_.format()),
                   drop ? " and dropped_events_total{reason=\"malformed\"}" : "");
    }
  }
  if (split > 0) {
    uint64_t suppressed = 0;
    if (log_.allow(&suppressed)) {
      spdlog::warn("source {}: {}: a line longer than max_line_bytes was split into several messages",
                   ctx_.source_name, path_);
    }
  }
}

void TailedFile::onAck(AckEntry& entry, bool ok) {
  if (!ok && !ack_blocked_) {
    spdlog::debug("source {}: {}: lines from offset {} were not delivered; they are read again after a restart",
                  ctx_.source_name, path_, acked_offset_);
  }
  advance(&entry);
}

void TailedFile::advance(const AckEntry* running) {
  const uint64_t before = acked_offset_;
  for (const AckEntry& e : acks_) {
    if (!e.complete()) break;
    if (!e.ok()) ack_blocked_ = true;
    if (!ack_blocked_) acked_offset_ = e.position();
  }
  // The entry whose callback is running stays until the next call: it must not be freed under its own feet.
  while (!acks_.empty() && acks_.front().complete() && &acks_.front() != running) acks_.pop_front();
  if (acked_offset_ != before) ctx_.checkpoint_changed(*this);
}

void TailedFile::check(Look look) {
  if (state_ == State::Finished) return;
  if (reading_) {
    dirty_ = true;
    dirty_look_ = std::max(dirty_look_, look);
    return;
  }
  if (fd_ < 0) {
    // Closed: its name says whether it grew, shrank or moved; reopening (in turn, when a descriptor is free) sorts
    // out which.
    std::optional<FileStat> at_path = statPath(path_);
    if (at_path && at_path->key == key_) seen_size_ = at_path->size;
    if (!at_path || at_path->key != key_ || at_path->size != read_offset_) ctx_.want_read(*this);
    return;
  }
  if (look == Look::Written) {
    if (readsWritten()) {
      read_written_ = true;
      ctx_.want_read(*this);
      return;
    }
    look = Look::Content;
  }
  std::optional<FileStat> st = statFd(fd_);
  if (!st) return;
  seen_size_ = st->size;
  if (st->size < read_offset_) {
    truncated(st->size);
  } else if (look >= Look::Content && read_offset_ > 0 && fingerprint_.len > 0 &&
             readFingerprint(fd_, fingerprint_.len) != fingerprint_) {
    // Truncated and written again past our offset before we looked (copytruncate under a busy writer): the first
    // bytes changed. Reading on from the old offset would lose the new start and cut a line in two.
    truncated(st->size);
  } else if (st->size > read_offset_) {
    ctx_.want_read(*this);
  }
  if (state_ == State::Active && (look == Look::Path || st->nlink == 0)) {
    std::optional<FileStat> at_path = statPath(path_);
    if (st->nlink == 0 || !at_path || at_path->key != key_) {
      startDraining();
      ctx_.rotated(*this);
    }
  }
}

void TailedFile::startDraining() {
  if (state_ != State::Active) return;
  state_ = State::Draining;
  ++ctx_.draining_files;
  drain_order_ = ++ctx_.drain_starts;
  draining_since_ms_ = ctx_.loop.nowMs();
  drained_once_ = false;
  ctx_.want_read(*this);  // a read that finds the end marks it drained
}

void TailedFile::truncated(uint64_t size) {
  ++truncations_;
  ++ctx_.counters.errors["truncated"];
  spdlog::warn("source {}: {} was truncated (read up to offset {}, now {}; copytruncate?): reading it again "
               "from its start. Lines written between the copy and the truncation, if any, are only in the copy",
               ctx_.source_name, path_, read_offset_, countOf(size, "byte"));
  flushHeld();
  // The entries before this one hold positions in the old content: a marker at 0 resets the checkpoint once they
  // are acknowledged.
  AckEntry& marker = openEntry();
  marker.setPosition(0);
  marker.release(true);
  read_offset_ = 0;
  at_eof_ = false;
  tail_len_ = 0;
  read_written_ = false;
  fingerprint_ = Fingerprint{};
  splitter_.reset();
  ctx_.want_read(*this);
}

void TailedFile::tick(uint64_t now_ms) {
  advance(nullptr);
  if (state_ == State::Finished || reading_) return;
  const bool holding = (splitter_ && splitter_->pendingBytes() > 0) || decoder_.holding();
  if (holding && at_eof_ && now_ms - last_data_ms_ >= static_cast<uint64_t>(ctx_.options.partial_flush.count())) {
    flushHeld();  // a last line without its newline (or a CRI P without its F) waited long enough
  }
  if (state_ == State::Draining && at_eof_ && drained_once_ &&
      now_ms - draining_since_ms_ >= static_cast<uint64_t>(ctx_.options.poll_interval.count())) {
    // Rotated and read to its end, and a poll interval passed for a writer's late lines: done, unless it grew.
    std::optional<FileStat> st = statFd(fd_);
    if (st && st->size > read_offset_) {
      ctx_.want_read(*this);
    } else {
      finish();
    }
  }
}

void TailedFile::finish() {
  flushHeld();  // the file ended: its last line is complete even without a newline
  if (state_ == State::Draining) --ctx_.draining_files;
  if (state_ != State::Finished) ++ctx_.finished_files;
  state_ = State::Finished;
  stopWatching();
  releaseSplitter();
  if (!drained_once_) {
    drained_once_ = true;
    ctx_.drained(*this);
  }
}

FileCheckpoint TailedFile::checkpoint() {
  if (fingerprint_.len < Fingerprint::kBytes && state_ != State::Finished && fd_ >= 0) {
    // Young files are fingerprinted again as they grow, up to kBytes.
    std::optional<FileStat> st = statFd(fd_);
    if (st && st->size > fingerprint_.len) fingerprint_ = readFingerprint(fd_);
  }
  FileCheckpoint c;
  c.key = key_;
  c.offset = acked_offset_;
  c.fingerprint = fingerprint_;
  c.path = path_;
  c.real_path = real_path_;
  return c;
}

bool TailedFile::stillLinked() const {
  if (fd_ < 0) return false;  // closed files are finished only when they were found gone
  std::optional<FileStat> st = statFd(fd_);
  return st && st->nlink > 0;
}

}  // namespace sluice::plugins::tail
