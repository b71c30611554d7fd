#pragma once
#include <cstdint>
#include <string>

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
  ByteBuffer bytes;

  void reset() {
    reported_drops = 0;
    seq = 0;
    frame_id.clear();
    count = 0;
    first_us = last_us = 0;
    bytes.clear();
  }
};

}  // namespace sluice
