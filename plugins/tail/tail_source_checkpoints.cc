// TailSource: its checkpoint file (written on the interval, on the thread pool, and at the end) and its ack journal
// (a record per acknowledgement, so that a crash of the process sends again only what was in flight).
#include <map>

#include "agent/core/clock.h"
#include "plugins/tail/tail_source.h"

namespace sluice::plugins::tail {

CheckpointSet TailSource::snapshot() {
  CheckpointSet set;
  set.written_us = wallMicros();
  set.scanned_us = last_scan_us_;
  set.journal_seq = journal_.lastSeq();
  for (auto& [key, f] : files_) set.files.push_back(f->checkpoint());
  for (auto& [key, c] : dormant_) {
    if (!files_.count(key)) set.files.push_back(c);
  }
  return set;
}

void TailSource::saveAsync() {
  if (!checkpoint_writes_.idle() || !checkpoint_dirty_) return;
  checkpoint_dirty_ = false;
  flushJournal();
  CheckpointSet set = snapshot();
  checkpoint_writes_.submit(
      [path = store_.path(), data = CheckpointStore::serialize(set)]() noexcept {
        return CheckpointStore::writeAtomically(path, data);
      },
      [this, seq = set.journal_seq](Status st) noexcept { checkpointWritten(st, seq); });
}

void TailSource::checkpointWritten(const Status& st, uint64_t journal_seq) {
  if (st) {
    compactJournal(journal_seq);
    return;
  }
  checkpoint_dirty_ = true;  // tried again at the next interval
  ++counters_.errors["checkpoint_write"];
  uint64_t suppressed = 0;
  if (save_log_.allow(&suppressed)) {
    spdlog::error("source {}: cannot write the checkpoint: {}", info_.name, st.error().message);
  }
}

void TailSource::saveNow() {
  if (handed_over_) return;  // the successor's to write
  for (auto& [key, f] : files_) f->settleAcks();
  flushJournal();
  CheckpointSet set = snapshot();
  Status st = CheckpointStore::writeAtomically(store_.path(), CheckpointStore::serialize(set), ".tmp-final");
  if (!st) {
    ++counters_.errors["checkpoint_write"];
    spdlog::error("source {}: cannot write the checkpoint: {}", info_.name, st.error().message);
  } else {
    compactJournal(set.journal_seq);
  }
  checkpoint_dirty_ = false;
}

// ---- the ack journal ----

// The journal's records newer than the checkpoint, applied to it: the newest position of each file. A record of a
// file the checkpoint does not list (opened after it was written) adds an entry without a path: a file the globs
// match is found by its identity; one they do not is not looked for.
void TailSource::applyJournal(CheckpointSet* loaded) {
  Result<std::vector<JournalRecord>> records = journal_.open(loaded != nullptr ? loaded->journal_seq : 0);
  if (!records) {
    ++counters_.errors["journal"];
    spdlog::error("source {}: {}; positions are durable only at each checkpoint write", info_.name,
                  records.error().message);
    return;
  }
  if (loaded == nullptr || records->empty()) return;  // no checkpoint: the journal has nothing to add to
  std::map<FileKey, size_t> index;
  for (size_t i = 0; i < loaded->files.size(); ++i) index[loaded->files[i].key] = i;
  for (const JournalRecord& r : *records) {
    auto [it, added] = index.try_emplace(r.key(), loaded->files.size());
    if (added) {
      loaded->files.emplace_back();
      loaded->files.back().key = r.key();
    }
    FileCheckpoint& c = loaded->files[it->second];
    c.offset = r.offset;
    c.fingerprint = r.fingerprint();
  }
  spdlog::debug("source {}: {} acknowledgements after the checkpoint, from {}", info_.name, records->size(),
                journal_.path());
}

void TailSource::onAcked(TailedFile& file) {
  if (handed_over_) return;  // nothing more is journaled (its timers are closed, and saveNow writes nothing)
  checkpoint_dirty_ = true;
  if (!journal_.isOpen() || file.journal_pending) return;
  file.journal_pending = true;
  journal_files_.push_back(&file);
  if (journal_check_ && !uv_is_active(journal_check_.handle())) {
    uv_check_start(journal_check_.get(), &TailSource::onJournalCheck);
  }
}

void TailSource::onJournalCheck(uv_check_t* check) noexcept {
  uv_check_stop(check);
  TailSource* self = ownerOf<TailSource>(check);
  if (self != nullptr) self->flushJournal();
}

void TailSource::flushJournal() {
  for (TailedFile* f : journal_files_) {
    f->journal_pending = false;
    journal_.add(f->key(), f->ackedOffset(), f->fingerprint());
  }
  journal_files_.clear();
  Status st = journal_.flush();
  if (!st) {
    ++counters_.errors["journal_write"];
    uint64_t suppressed = 0;
    if (journal_log_.allow(&suppressed)) {
      spdlog::error("source {}: {}; positions are durable only at each checkpoint write", info_.name,
                    st.error().message);
    }
  }
}

void TailSource::compactJournal(uint64_t covered) {
  Status st = journal_.compact(covered);
  if (!st) {
    ++counters_.errors["journal_write"];
    uint64_t suppressed = 0;
    if (journal_log_.allow(&suppressed)) spdlog::error("source {}: {}", info_.name, st.error().message);
  }
}

}  // namespace sluice::plugins::tail
