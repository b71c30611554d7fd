#pragma once
// A tail source's acknowledgements, durable against a crash of the process on every one of them, next to its
// checkpoint file: <state_dir>/checkpoints/<source name>.journal.
//
// The checkpoint file (checkpoint_store.h) is written whole, fsynced and renamed, once per checkpoint_interval: a
// crash between two writes used to send again every line acknowledged since the last one (40,000-57,000 lines at
// 40k lines/s). Now each acknowledgement that moves a file's position also appends a fixed-size record to this
// journal with one pwrite (at most one per loop turn, for every file that moved). The page cache keeps a written
// record through kill -9 of the process; only a crash of the machine loses what was not yet written back, and then
// the fsynced checkpoint is the truth, as before.
//
// Why a journal rather than the two-slot cursor of STYLE.md per file: a source follows thousands of files whose
// set changes; slots per file need an allocator of slots on disk and one pwrite per file that moved, while one
// journal per source takes the positions of every file that moved in a turn in one pwrite.
//
// The checkpoint records the last sequence number it covers (journal_seq). On start: the checkpoint, then the
// journal's records above it, the newest per file, reading up to the first record that is torn or fails its CRC.
// Once a checkpoint is durable, the records it does not cover (the newest per file) are written again at the start
// of the journal and the file is cut after them: the journal stays a few records long. If a crash stops that half
// way, the records left after the new end are older (lower sequence numbers) than the ones rewritten for the same
// file, or covered by the checkpoint: the newest per file still wins.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "agent/core/result.h"
#include "plugins/tail/file_identity.h"

namespace sluice::plugins::tail {

// 48 bytes in the host's byte order (the journal never leaves the machine that wrote it).
struct JournalRecord {
  uint64_t seq = 0;
  uint64_t dev = 0;
  uint64_t ino = 0;
  uint64_t offset = 0;             // the acknowledged position
  uint64_t fingerprint_hash = 0;   // the file's fingerprint when it was written (a reused inode is another file)
  uint32_t fingerprint_len = 0;
  uint32_t crc = 0;                // CRC-32C of the 44 bytes before it

  FileKey key() const { return FileKey{dev, ino}; }
  Fingerprint fingerprint() const { return Fingerprint{fingerprint_len, fingerprint_hash}; }
};
static_assert(sizeof(JournalRecord) == 48);

class AckJournal {
 public:
  explicit AckJournal(std::string path) : path_(std::move(path)) {}
  ~AckJournal();
  AckJournal(const AckJournal&) = delete;
  AckJournal& operator=(const AckJournal&) = delete;

  const std::string& path() const { return path_; }

  // Opens (creating) the journal and returns the newest record of each file whose sequence is above `covered`
  // (the checkpoint's journal_seq). Sequence numbers go on from the highest seen.
  Result<std::vector<JournalRecord>> open(uint64_t covered);
  // The newest record per file with seq > covered, from a journal's bytes; up to the first torn or corrupt one.
  // `highest` receives the highest sequence number of a valid record (0: none).
  static std::vector<JournalRecord> parse(std::string_view bytes, uint64_t covered, uint64_t* highest = nullptr);
  static JournalRecord seal(JournalRecord r);   // with its crc
  static bool valid(const JournalRecord& r);

  // Appends a record for one file's position, numbered; written by the next flush().
  void add(const FileKey& key, uint64_t offset, const Fingerprint& fingerprint);
  bool pending() const { return !batch_.empty(); }
  // Writes what add() queued in one pwrite. A failure (ENOSPC) is returned; the positions are then durable only at
  // the next checkpoint.
  Status flush();
  // The sequence number of the last record added (what a checkpoint taken now covers).
  uint64_t lastSeq() const { return next_seq_ - 1; }
  // A checkpoint covering every record up to `covered` is durable: keep only the newer records, at the start.
  Status compact(uint64_t covered);
  bool isOpen() const { return fd_ >= 0; }

 private:
  Status writeAt(uint64_t at, const void* data, size_t len);

  std::string path_;
  int fd_ = -1;
  uint64_t next_seq_ = 1;
  uint64_t end_ = 0;                      // where the next record goes
  uint64_t covered_ = 0;                  // by the last durable checkpoint
  uint64_t compacted_end_ = 0;            // the journal's size after the last compaction
  std::vector<JournalRecord> batch_;      // added, not yet written
  std::vector<JournalRecord> uncovered_;  // written since the last compaction (newest per file after compacting)
};

}  // namespace sluice::plugins::tail
