#pragma once
// The checkpoints of one tail source: for every file it reads, the offset up to which every line was delivered
// or durably spooled (advanced by acknowledgements only, never by reading), with the file's identity. One file
// under <state_dir>/checkpoints/, replaced atomically (write a temp file, fsync, rename, fsync the directory), so
// that a crash at any moment leaves either the old or the new version. A file that does not parse or whose
// checksum is wrong is moved aside and reported; the source then starts as if it had never run.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "agent/core/result.h"
#include "plugins/tail/file_identity.h"

namespace sluice::plugins::tail {

struct FileCheckpoint {
  FileKey key;
  uint64_t offset = 0;
  Fingerprint fingerprint;
  std::string path;        // as the glob matched it
  std::string real_path;   // where it led (symlinks followed) when it was opened
};

struct CheckpointSet {
  int64_t written_us = 0;
  // When the last complete scan of the globs started: a file that is not listed but was created after it is
  // new, and is read from its beginning.
  int64_t scanned_us = 0;
  // The last record of the ack journal (ack_journal.h) that this checkpoint covers; the newer ones are applied on
  // top of it at start. 0 in files written before the journal existed.
  uint64_t journal_seq = 0;
  std::vector<FileCheckpoint> files;
};

struct LoadedCheckpoints {
  std::optional<CheckpointSet> set;   // nothing: first run, or the file was corrupt
  std::string problem;                // a corrupt file: what was wrong and where it went
};

class CheckpointStore {
 public:
  // <state_dir>/checkpoints/<source name>.checkpoint (the name escaped to a safe file name).
  CheckpointStore(const std::string& state_dir, std::string_view source_name);

  const std::string& path() const { return path_; }
  // <state_dir>/checkpoints/<source name>.journal
  std::string journalPath() const;
  const std::string& dir() const { return dir_; }

  // Creates the directory (and state_dir) when missing.
  Status prepare() const;
  // Errors are I/O errors other than "no such file"; a corrupt file is not an error but a `problem`.
  Result<LoadedCheckpoints> load() const;
  // Blocking (fsync): run it on a worker thread, or at shutdown.
  Status save(const CheckpointSet& set) const { return writeAtomically(path_, serialize(set)); }

  static std::string serialize(const CheckpointSet& set);
  static Result<CheckpointSet> parse(std::string_view text);
  // writeFileDurably (agent/core/durable_file.h) with the checkpoints' mode: `path` + `tmp_suffix` is the temp file.
  static Status writeAtomically(const std::string& path, std::string_view data, std::string_view tmp_suffix = ".tmp");

 private:
  std::string dir_;
  std::string path_;
};

}  // namespace sluice::plugins::tail
