#pragma once
// One file a tail source reads: its descriptor (kept open across renames and deletion, so that a rotated file is
// read to its end), the bytes held of a partial last line, the decoder of its format, its own SourceInfo, and the
// FIFO of acknowledgements that moves its checkpoint.
//
// Reads go through libuv's thread pool (uv_fs_read at an explicit offset), one at a time per file; the source
// decides which file reads next (TailSource::pump), so that a paused pipeline stops every read and a busy file
// cannot starve the others. A file that was read to its end and has grown by a little since (at most
// kInlineReadBytes, as its last look found), or that inotify says was written (Look::Written: one read of up to
// kReadBytes, with the bytes before the offset), is read on the loop instead, when it is on a local file system: those
// bytes were just written and are in the page cache, and the pread costs a microsecond where the thread pool's round
// trip (a worker woken, the loop woken) costs tens. 1,000 files written to now and then are read that way; a
// backlog, a file seen for the first time and a network file system still go through the thread pool.
//
// The checkpoint: each read chunk opens an AckEntry whose position is the offset before which every byte is in a
// routed message (a partial line or a CRI/docker line waiting for its last part is not); a chunk's lines are cut
// into entries of at most kAckMessages messages, so that what a crash sends again is bounded by the batches in
// flight and not by the size of a read. The records of an entry carry it; it completes once every batch holding
// them is delivered or durably spooled. The checkpoint is the position of the longest prefix of completed entries,
// in read order; an entry that failed (abandoned at shutdown) stops it for good, so that those lines are read
// again after a restart.
#include <sys/uio.h>

#include <array>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <utility>

#include "agent/core/ack.h"
#include "agent/core/counters.h"
#include "agent/core/log.h"
#include "agent/core/record.h"
#include "agent/loop/loop.h"
#include "agent/loop/uv_request.h"
#include "agent/pipeline/line_splitter.h"
#include "agent/pipeline/router.h"
#include "plugins/tail/checkpoint_store.h"
#include "plugins/tail/file_identity.h"
#include "plugins/tail/file_watches.h"
#include "plugins/tail/line_decoder.h"
#include "plugins/tail/tail_options.h"

namespace sluice::plugins::tail {

class TailedFile;

// What a file needs from its source.
struct TailContext {
  Loop& loop;
  Router& router;
  const TailOptions& options;
  ComponentCounters& counters;
  const std::string& source_name;
  std::function<void(TailedFile&)> want_read;       // queue a read (the source schedules it)
  FileWatches& watches;                             // the source's inotify watches
  std::function<void(TailedFile&)> gather;          // an event named it: look at it when the round ends
  std::function<void(TailedFile&)> read_done;       // a read finished (frees its slot)
  std::function<void(TailedFile&)> rotated;         // the path now leads elsewhere (or nowhere)
  std::function<void(TailedFile&)> drained;         // a rotated file was read to its end once
  std::function<void(TailedFile&)> checkpoint_changed;   // its acknowledged offset moved
  std::function<void(TailedFile&)> fd_closed;       // the file closed its descriptor (closeFd, destruction)
  // Bytes a file may still read on the loop from the page cache (RWF_NOWAIT) before the source yields to the loop's
  // other work; the source refills it on the next loop turn.
  size_t cached_read_budget = 0;
  std::function<void()> cached_budget_spent;
  uint64_t reads_cached = 0;    // reads on the loop from the page cache (readCached)
  uint64_t reads_in_pool = 0;   // reads in the thread pool
  size_t draining_files = 0;                        // files in State::Draining, kept by the files themselves
  uint64_t drain_starts = 0;                        // counts startDraining(): the order of rotations
  size_t finished_files = 0;                        // and in State::Finished
  // The splitters (a read's 128 KiB buffer) of files read to their end, for the next file that reads: 1,000 files
  // written to now and then would otherwise allocate and free one per read.
  std::vector<std::unique_ptr<LineSplitter>> spare_splitters;
};

class TailedFile {
 public:
  enum class State {
    Active,     // the path leads to it
    Draining,   // renamed or deleted: read to its end, then finished
    Finished,   // nothing more will be read; released once its acknowledgements are in
  };

  // Takes ownership of `fd`. Reading starts at `offset`, which is also the checkpoint until acknowledgements move
  // it.
  TailedFile(TailContext& ctx, std::string path, std::string real_path, int fd, const FileStat& stat,
             uint64_t offset, Fingerprint fingerprint);
  ~TailedFile();
  TailedFile(const TailedFile&) = delete;
  TailedFile& operator=(const TailedFile&) = delete;

  enum class ReadStart {
    None,       // nothing to do (finished, waiting for a predecessor, or the read could not start)
    InFlight,   // in the thread pool: read_done follows
    Done,       // read on the loop and routed already (want_read was called if there is more)
  };
  ReadStart startRead();
  // How closely check() looks at an open file.
  enum class Look {
    Written,   // an inotify write: a file caught up is read at once, the bytes before its offset checked (below)
    Size,      // fstat alone: more data, or less (truncated)
    Content,   // and the first bytes (truncated and written again past our offset)
    Path,      // and whether the path still leads here (rotated)
  };
  // Looks at the file: more data, truncation, and as far as `look` says. A closed file is looked at by its name.
  void check(Look look);
  // Whether inotify tells about this file's changes (the poll can then look less closely).
  bool watched() const { return wd_ >= 0; }
  // An inotify event for this file (FileWatches): it is looked at once the round's events are all in.
  void onWatchEvent(uint32_t mask);
  // Marks the file for a look at least as close as `look` at the round's end.
  void markForLook(Look look);
  // The round's events are in: the look they asked for.
  void lookAfterEvents() { check(std::exchange(events_look_, Look::Written)); }
  // Called on the poll timer: partial lines held too long, the end of a rotated file, the ack FIFO.
  void tick(uint64_t now_ms);
  // Whether tick() has anything to do: an idle file that holds nothing needs no call (1,000 of them, every poll).
  bool wantsTick() const { return state_ != State::Active || !acks_.empty() || splitter_ || decoder_.holding(); }
  // The path leads elsewhere now: read to the end, then finish.
  void startDraining();
  // Shutdown: no more change events (the loop may end).
  void stopWatching();

  // Descriptors (fd_budget.h). A file that was read to its end, or read for a while, can be closed while no read
  // is in flight; it keeps everything else. Reopened by identity: the name if it still leads to the same device,
  // inode and first bytes, else the inode in the file's directory (renamed while closed: a rotation).
  bool isOpen() const { return fd_ >= 0; }
  bool closable() const;
  // A rotated file at the same path is read to its end first.
  bool waitingForPredecessor() const;
  void closeFd();
  enum class Reopened { Same, Rotated, Gone };
  // Gone: deleted (or moved to another directory) while closed; the file is finished, and said so.
  Reopened reopen();
  uint64_t lastActiveMs() const { return last_data_ms_; }
  bool atEof() const { return at_eof_; }
  // Applies completed acknowledgements to the checkpoint offset.
  void settleAcks() { advance(nullptr); }
  FileCheckpoint checkpoint();
  bool releasable() const { return state_ == State::Finished && acks_.empty() && !reading_; }
  bool acksOutstanding() const {
    for (const AckEntry& e : acks_) {
      if (!e.complete()) return true;
    }
    return false;
  }
  // Whether the file still exists under some name (a rotated file kept on disk).
  bool stillLinked() const;

  const std::string& path() const { return path_; }
  void setPath(std::string path) { path_ = std::move(path); }
  const FileKey& key() const { return key_; }
  State state() const { return state_; }
  bool reading() const { return reading_; }
  bool drainedOnce() const { return drained_once_; }
  // When it started draining, among the source's files (larger: later).
  uint64_t drainOrder() const { return drain_order_; }
  const SourceInfo& info() const { return info_; }
  uint64_t ackedOffset() const { return acked_offset_; }
  const Fingerprint& fingerprint() const { return fingerprint_; }
  uint64_t readOffset() const { return read_offset_; }
  uint64_t truncations() const { return truncations_; }

  // Set by the source: a rotated file at the same path that must be read to its end before this one.
  TailedFile* predecessor = nullptr;
  bool queued = false;   // in the source's ready queue (or waiting for a descriptor)
  bool gathered = false;   // named by an event of the current inotify round (the source looks at it at its end)
  bool journal_pending = false;   // its acknowledged offset moved since the source last wrote its ack journal
  uint64_t idle_mark = 0;         // the source's latest entry for it in its queue of idle files

 private:
  struct ReadData {
    TailedFile* file = nullptr;                // nullptr once the file is gone
    std::unique_ptr<LineSplitter> splitter;    // the read's destination, owned by the read while it is in flight
    const char* base = nullptr;
    size_t asked = 0;
    int orphan_fd = -1;                        // closed here when the file went away during the read
  };
  using ReadReq = UvRequest<uv_fs_t, ReadData>;
  static void onRead(uv_fs_t* req) noexcept;
  void readDone(ssize_t result, const char* base, size_t asked);
  // What any read's end does to the file: routes its lines, notes the end; true when there is more to read.
  bool settleRead(ssize_t result, const char* base, size_t asked, bool in_flight);
  bool readsInline() const;
  bool readsWritten() const;
  ReadStart readWritten(uv_buf_t buf);
  // A read on the loop (pread, or preadv with the bytes before the offset first), EINTR retried: the bytes, or -errno.
  ssize_t readOnLoop(iovec* iov, int count, uint64_t at, int flags = 0) const;
  // A read on the loop of what the page cache holds (RWF_NOWAIT); None when it holds nothing (the pool reads it).
  ReadStart readCached(uv_buf_t buf);
  // Routes what a read on the loop found and queues the file again when there is more.
  ReadStart settleOnLoop(ssize_t result, uv_buf_t buf);
  void keepTail(const char* base, size_t n);
  void route(size_t n, const char* base);
  void flushHeld();
  void noteProblems();
  void truncated(uint64_t size);
  void finish();
  AckEntry& openEntry();
  void onAck(AckEntry& entry, bool ok);
  void advance(const AckEntry* running);
  uint64_t safeOffset() const;
  void emit(const DecodedMessage& m, AckEntry& entry);
  void takeSplitter();
  // An idle file gives its splitter back (when it holds nothing): the buffer goes to the next file that reads.
  void releaseSplitter();
  void watch();
  int openIfSame(const std::string& path) const;
  int findInDirectory() const;
  void gone();

  TailContext& ctx_;
  std::string path_;
  std::string real_path_;
  int fd_;
  bool local_ = false;            // on a local file system (small reads may be done on the loop)
  bool nowait_reads_ = true;      // preadv2(RWF_NOWAIT) works on it (else every catch-up read is in the pool)
  FileKey key_;
  Fingerprint fingerprint_;
  SourceInfo info_;
  State state_ = State::Active;

  uint64_t read_offset_;          // the next byte to read
  uint64_t acked_offset_;         // the checkpoint
  std::unique_ptr<LineSplitter> splitter_;   // only while there is something to read or hold
  size_t physical_limit_;
  LineDecoder decoder_;
  std::deque<AckEntry> acks_;
  Record record_;

  ReadReq* inflight_ = nullptr;   // a read in flight (libuv holds it): told when the file goes first
  bool reading_ = false;
  bool dirty_ = false;            // an event came while a read was in flight: look again afterwards
  Look dirty_look_ = Look::Size;
  // The last bytes read (up to kBytes of them, those just before read_offset_): a write is read together with them,
  // and they must not have changed (Look::Written). Cheaper than an fstat and the first-bytes check per write.
  std::array<char, Fingerprint::kBytes> tail_{};
  size_t tail_len_ = 0;
  bool read_written_ = false;     // the next read is a Look::Written one
  bool at_eof_ = false;
  bool drained_once_ = false;
  bool ack_blocked_ = false;
  uint64_t last_data_ms_ = 0;
  uint64_t draining_since_ms_ = 0;
  uint64_t drain_order_ = 0;
  uint64_t truncations_ = 0;
  uint64_t reads_since_open_ = 0;
  uint64_t messages_ = 0;         // routed from this file: entries are cut at multiples of kAckMessages
  uint64_t seen_size_ = 0;        // the size the last look at the file found (while closed: by its name)
  uint64_t malformed_seen_ = 0;
  uint64_t dropped_seen_ = 0;
  bool malformed_logged_ = false;
  uint64_t decoder_split_seen_ = 0;
  uint64_t splitter_split_seen_ = 0;
  int wd_ = -1;                    // its inotify watch (FileWatches), -1 without one
  Look events_look_ = Look::Written;   // what the current round's events ask for
  RateLimitedLog log_;
};

}  // namespace sluice::plugins::tail
