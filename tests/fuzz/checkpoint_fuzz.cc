// libFuzzer target: what a tail source reads back at start, the checkpoint file (CheckpointStore::parse) and the
// ack journal (AckJournal::parse). Neither may crash, read out of bounds or hang on any bytes; a checkpoint that
// parses is sane and survives a serialize/parse round trip; the journal gives at most one record per file, each
// with a valid CRC and a sequence above the one covered, in sequence order.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <set>
#include <string_view>

#include "plugins/tail/ack_journal.h"
#include "plugins/tail/checkpoint_store.h"

using namespace sluice;
using namespace sluice::plugins::tail;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);

  Result<CheckpointSet> set = CheckpointStore::parse(bytes);
  if (set) {
    for (const FileCheckpoint& f : set->files) {
      if (f.path.empty() || f.fingerprint.len > Fingerprint::kBytes) std::abort();
    }
    Result<CheckpointSet> again = CheckpointStore::parse(CheckpointStore::serialize(*set));
    if (!again || again->files.size() != set->files.size() || again->journal_seq != set->journal_seq ||
        again->written_us != set->written_us || again->scanned_us != set->scanned_us) {
      std::abort();
    }
    for (size_t i = 0; i < set->files.size(); ++i) {
      const FileCheckpoint& a = set->files[i];
      const FileCheckpoint& b = again->files[i];
      if (!(a.key == b.key) || a.offset != b.offset || !(a.fingerprint == b.fingerprint) || a.path != b.path ||
          a.real_path != b.real_path) {
        std::abort();
      }
    }
  }

  // The journal, with the covered sequence taken from the first byte (0..255) so that skipping is exercised too.
  const uint64_t covered = size > 0 ? data[0] : 0;
  uint64_t highest = 0;
  std::vector<JournalRecord> records = AckJournal::parse(bytes, covered, &highest);
  if (records.size() > size / sizeof(JournalRecord)) std::abort();
  std::set<FileKey> keys;
  // Sequence numbers are unique in a journal Sluice wrote, but a forged one may repeat them across files: the
  // order is only non-decreasing.
  uint64_t previous = covered + 1;
  for (const JournalRecord& r : records) {
    if (!AckJournal::valid(r) || r.seq < previous || r.seq > highest || !keys.insert(r.key()).second) std::abort();
    previous = r.seq;
  }
  return 0;
}
