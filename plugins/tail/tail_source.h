#pragma once
// The `tail` source: follows the files its globs match, across rotations (rename and create, copytruncate,
// deletion while open, symlinks as Kubernetes lays them out), and remembers in a checkpoint file how far every
// line was delivered, so that a restart (kill -9 included) resumes there.
//
// Files are found by globbing every refresh_interval, and at once by an inotify watch on their directories; changes are noticed through inotify (file_watches.h: one
// instance per source, read in rounds at most once per read_interval, each file named by a round's events looked at
// once) and, as a fallback that never misses one, by looking at files on a timer (fstat, the first bytes, a stat of
// the name): a file without a watch every poll_interval, a watched one every kWatchedLookPolls polls (a symlink
// pointed elsewhere is no event on the file), so that 1,000 idle files cost almost nothing. Reads go through libuv's
// thread pool, at most kMaxReadsInFlight at once across the source's files, taken in turn from a queue (a file caught
// up that grew by a little is read on the loop: tailed_file.h); while the sinks push back, no read starts and the
// files themselves are the buffer.
//
// Descriptors: the source holds at most its share of the process's (fd_budget.h) and at most max_open_files. When
// files outnumber them, the least recently active files that were read to their end are closed and reopened by
// identity when their name shows they grew (inotify, which costs no descriptor, or the poll), in turn.
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "agent/core/log.h"
#include "agent/core/path_glob.h"
#include "agent/loop/job_runner.h"
#include "agent/loop/loop.h"
#include "agent/pipeline/router.h"
#include "agent/pipeline/source.h"
#include "plugins/tail/ack_journal.h"
#include "plugins/tail/checkpoint_store.h"
#include "plugins/tail/fd_budget.h"
#include "plugins/tail/file_watches.h"
#include "plugins/tail/tail_options.h"
#include "plugins/tail/tailed_file.h"

namespace sluice::plugins::tail {

class TailSource : public Source, private FdBudget::Holder {
 public:
  static constexpr size_t kMaxReadsInFlight = 4;
  // Bytes read on the loop from the page cache before the loop's other work (the sinks' writes, timers, the API)
  // gets its turn: 1 MiB is about 10,000 lines of 100 bytes, a few milliseconds.
  static constexpr size_t kCachedReadBurst = 1024 * 1024;
  static constexpr uint64_t kWatchedLookPolls = 30;

  TailSource(Loop& loop, Router& router, SourceInfo info, TailOptions options);
  ~TailSource() override;

  Status start() override;
  void pause() override;
  void resume() override;
  // Stops reading; the lines read are routed and acknowledged while the sinks drain, and the checkpoint is
  // written once more when the source is destroyed (after the loop ended).
  void stop() override;
  std::string describe() const override;
  bool acksOutstanding() const override;
  bool handOver() override;

  const std::string& checkpointPath() const { return store_.path(); }
  // Reads so far on the loop from the page cache, and in the thread pool (for tests).
  uint64_t readsCached() const { return ctx_.reads_cached; }
  uint64_t readsInPool() const { return ctx_.reads_in_pool; }

 private:
  struct Match {
    std::string path;
    FileStat stat;
  };

  std::vector<Match> match();
  // Warns once about a pattern that matches nothing (and why, when its directory is missing), until it does.
  void noteMatches(const std::string& pattern, bool matched);
  void scan(bool initial);
  bool readFromStart(const Match& m, bool initial) const;
  void forgetGoneDormant(const FileKeySet& matched);
  void recover(const FileKeySet& matched);
  // `after`: the file to read to its end before this one (else one being drained at the same path, if any).
  TailedFile* openFile(const std::string& path, const std::string& open_path, const FileStat& stat,
                       const FileCheckpoint* known, bool from_start, TailedFile* after = nullptr);
  TailedFile* drainingAt(const std::string& path) const;

  void wantRead(TailedFile& file);
  void gather(TailedFile& file);
  void lookAfterEvents();
  void lookAtAll();
  void readDone(TailedFile& file);
  void onRotated(TailedFile& file);
  void onDrained(TailedFile& file);
  // Literal patterns that matched nothing at the last scan: looked at on every poll.
  void lookForUnmatched();
  void lookAtPath(const std::string& path, TailedFile* after = nullptr);
  // The directories whose new names may be matches or lead to them: each pattern's directory when it has no
  // wildcard; else the part before its first wildcard and every directory each level of wildcards matches
  // (/var/log/pods, /var/log/pods/*, /var/log/pods/*/* for /var/log/pods/*/*/*.log).
  void watchDirectories();
  // Names created in the watched directories: each file a pattern matches is opened (and read from its start); a
  // directory that may hold matches is watched and the globs expanded again.
  void onCreated(const std::vector<FileWatches::Created>& names);
  void pump();
  void startRead(TailedFile& file);
  void serveWaiting();
  bool claimFd();
  bool reopenFile(TailedFile& file);
  void fdClosed(TailedFile& file);
  uint64_t oldestClosable() override;
  void closeOldest() override;
  TailedFile* leastRecentlyActive();
  void noteIdle(TailedFile& file);
  void updateGauges();
  void maybeFinish();
  void releaseFinished();

  CheckpointSet snapshot();
  void saveAsync();
  void checkpointWritten(const Status& st, uint64_t journal_seq);
  void saveNow();
  void applyJournal(CheckpointSet* loaded);
  void onAcked(TailedFile& file);
  void flushJournal();
  void compactJournal(uint64_t covered);

  static void onPollTimer(uv_timer_t* timer) noexcept;
  static void onRefreshTimer(uv_timer_t* timer) noexcept;
  static void onCheckpointTimer(uv_timer_t* timer) noexcept;
  static void onJournalCheck(uv_check_t* check) noexcept;
  static void onRefillCachedReads(uv_idle_t* idle) noexcept;

  Loop& loop_;
  Router& router_;
  TailOptions options_;
  FileWatches watches_;   // before ctx_, which refers to it, and after the files in destruction
  TailContext ctx_;
  CheckpointStore store_;
  AckJournal journal_;
  std::vector<TailedFile*> journal_files_;   // acknowledged offsets moved: one pwrite at the end of the loop turn
  std::optional<CheckpointSet> loaded_;   // during start() only
  std::map<FileKey, std::unique_ptr<TailedFile>> files_;
  std::vector<TailedFile*> all_files_;     // files_'s files in a row: the poll walks it without the map's pointers
  std::map<FileKey, FileCheckpoint> dormant_;   // read to the end and closed, but still on disk (and maybe matched)
  std::set<std::string> vacated_;   // paths whose file was rotated away: the new one is looked for at every poll
  std::deque<TailedFile*> ready_;
  std::vector<TailedFile*> gathered_;      // the files named by the current inotify round's events (empty between)
  std::deque<TailedFile*> waiting_fd_;     // closed files with something to read, waiting for a descriptor
  std::set<TailedFile*> open_files_;       // the files holding one of the budget's descriptors
  // Open files in the order they last reached their end: the front is the one to close first. An entry is current
  // while the file's idle_mark is its mark (older ones are skipped as they come to the front).
  std::deque<std::pair<TailedFile*, uint64_t>> idle_;
  uint64_t idle_marks_ = 0;
  FdBudget& budget_;
  size_t reads_in_flight_ = 0;
  bool pumping_ = false;                  // in pump(): a nested call leaves the work to the running one
  bool reading_enabled_ = false;          // set on the first loop turn: nothing is read during start()
  bool paused_ = false;
  bool stopping_ = false;
  bool handed_over_ = false;              // its successor writes the checkpoint and journal now: this one never
  bool finish_posted_ = false;
  bool checkpoint_dirty_ = true;
  int64_t last_scan_us_ = 0;
  uint64_t polls_ = 0;
  std::vector<TailedFile*> due_;   // the poll's files to look at, kept to spare an allocation per poll
  UvHandle<uv_timer_t> poll_timer_;
  UvHandle<uv_timer_t> refresh_timer_;
  UvHandle<uv_timer_t> checkpoint_timer_;
  UvHandle<uv_check_t> journal_check_;
  UvHandle<uv_idle_t> refill_cached_reads_;   // the next loop turn after the burst of cached reads was spent
  uint64_t files_opened_ = 0;
  uint64_t rotations_ = 0;
  RateLimitedLog glob_log_;
  GlobCache glob_cache_;   // a directory unchanged since the last scan is not listed again
  std::set<std::string> unmatched_;   // patterns that matched nothing at the last scan (warned once)
  bool rescan_wanted_ = false;        // a new name a pattern with braces may match: scanned at the next poll
  std::vector<std::string> dir_roots_;    // watchDirectories(): directories without wildcards
  std::vector<std::string> dir_levels_;   // and patterns of directories (/var/log/pods/*)
  RateLimitedLog save_log_;
  RateLimitedLog journal_log_;
  JobRunner checkpoint_writes_{loop_};   // one at a time: while one is on the pool, an interval skips its turn
};

}  // namespace sluice::plugins::tail
