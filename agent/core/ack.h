#pragma once
// Acknowledgements (house rule 3): a source learns that what it read is delivered or durably spooled before it
// advances a checkpoint or answers a sender. A source opens an AckEntry for a piece of its input (a read of a
// file, one HTTP request), tags the records of that piece with it, and every batch holding one of those records
// holds a reference. The entry completes when its last reference goes: ok when every batch was delivered,
// spooled, or deliberately dropped or rejected (counted), failed when any was abandoned (shutdown without a
// spool), so that the input is read again after a restart.
#include <cstdint>
#include <functional>

namespace sluice {

class AckEntry {
 public:
  using DoneFn = std::function<void(AckEntry& entry, bool ok)>;

  AckEntry() = default;
  explicit AckEntry(DoneFn done) : done_(std::move(done)) {}
  AckEntry(const AckEntry&) = delete;
  AckEntry& operator=(const AckEntry&) = delete;

  // The source holds one reference from open() until it has routed every record of the piece.
  void open(DoneFn done, uint64_t position = 0) {
    done_ = std::move(done);
    position_ = position;
    pending_ = 1;
    failed_ = false;
    complete_ = false;
  }
  void retain() { ++pending_; }
  // Drops one reference; the last one runs the done callback (which may free the entry).
  void release(bool ok) {
    if (!ok) failed_ = true;
    if (--pending_ == 0) {
      complete_ = true;
      if (done_) done_(*this, !failed_);
    }
  }

  uint64_t position() const { return position_; }       // what the source wants to remember (an offset)
  void setPosition(uint64_t p) { position_ = p; }
  bool complete() const { return complete_; }
  bool ok() const { return complete_ && !failed_; }
  uint32_t pending() const { return pending_; }

 private:
  DoneFn done_;
  uint64_t position_ = 0;
  uint32_t pending_ = 0;
  bool failed_ = false;
  bool complete_ = false;
};

}  // namespace sluice
