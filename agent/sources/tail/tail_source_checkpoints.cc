// TailSource: its checkpoint file, written on the interval (on the thread pool) and at the end.
#include "agent/core/clock.h"
#include "agent/sources/tail/tail_source.h"

namespace sluice {

CheckpointSet TailSource::snapshot() {
  CheckpointSet set;
  set.written_us = wallMicros();
  set.scanned_us = last_scan_us_;
  for (auto& [key, f] : files_) set.files.push_back(f->checkpoint());
  for (auto& [key, c] : dormant_) {
    if (!files_.count(key)) set.files.push_back(c);
  }
  return set;
}

void TailSource::saveAsync() {
  if (write_in_flight_ != nullptr || !checkpoint_dirty_) return;
  checkpoint_dirty_ = false;
  auto* w = new CheckpointWrite;
  w->owner = this;
  w->path = store_.path();
  w->data = CheckpointStore::serialize(snapshot());
  w->req.data = w;
  int rc = uv_queue_work(
      loop_.get(), &w->req,
      [](uv_work_t* req) {
        auto* job = static_cast<CheckpointWrite*>(req->data);
        job->result = CheckpointStore::writeAtomically(job->path, job->data);
      },
      [](uv_work_t* req, int) {
        auto* job = static_cast<CheckpointWrite*>(req->data);
        TailSource* self = job->owner;
        if (self != nullptr) {
          self->write_in_flight_ = nullptr;
          if (!job->result) {
            self->checkpoint_dirty_ = true;  // tried again at the next interval
            ++self->counters_.errors["checkpoint_write"];
            uint64_t suppressed = 0;
            if (self->save_log_.allow(&suppressed)) {
              spdlog::error("source {}: cannot write the checkpoint: {}", self->info_.name, job->result.error().message);
            }
          }
        }
        delete job;
      });
  if (rc < 0) {
    delete w;
    checkpoint_dirty_ = true;
    return;
  }
  write_in_flight_ = w;
}

void TailSource::saveNow() {
  for (auto& [key, f] : files_) f->settleAcks();
  Status st = CheckpointStore::writeAtomically(store_.path(), CheckpointStore::serialize(snapshot()), ".tmp-final");
  if (!st) {
    ++counters_.errors["checkpoint_write"];
    spdlog::error("source {}: cannot write the checkpoint: {}", info_.name, st.error().message);
  }
  checkpoint_dirty_ = false;
}

}  // namespace sluice
