#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "agent/core/ack.h"
#include "agent/core/bytes.h"

namespace sluice {

// A closed batch: immutable frame bytes ("LEN SP MSG" concatenated, no separator) from here on: queued, spooled,
// retried and written to the socket as they are.
struct Batch {
  uint64_t seq = 0;              // per sink, increasing from 1
  std::string frame_id;          // Logplex-Frame-Id: unique per batch, the same on every retry
  uint32_t count = 0;            // frames
  int64_t first_us = 0;          // earliest and latest record time in it
  int64_t last_us = 0;
  uint64_t reported_drops = 0;   // messages dropped earlier that an in-band notice in this batch reports
  bool spooled = false;          // a record of it is in the sink's spool (seq is its key there)
  ByteBuffer bytes;
  // The input pieces whose records are in this batch; the core releases them once the batch is resolved.
  std::vector<AckEntry*> acks;
  AckEntry* last_ack = nullptr;

  // Releases the references of this batch: ok when delivered, spooled, or dropped or rejected on purpose.
  void resolveAcks(bool ok) {
    std::vector<AckEntry*> held;
    held.swap(acks);
    last_ack = nullptr;
    for (AckEntry* a : held) a->release(ok);
    held.clear();
    if (acks.empty()) acks.swap(held);  // keep the capacity
  }

  // For reuse. References still held are forgotten, not released: only the core's resolution paths release,
  // and at teardown the sources they point to may be gone already.
  void reset() {
    acks.clear();
    last_ack = nullptr;
    reported_drops = 0;
    spooled = false;
    seq = 0;
    frame_id.clear();
    count = 0;
    first_us = last_us = 0;
    bytes.clear();
  }
};

}  // namespace sluice
