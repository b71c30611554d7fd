#pragma once
// The spool's ledger: its identity, the run epoch (sequence numbers of every run are above those of the runs
// before it) and the acknowledged position when the run started: every spooled record with seq <= acked is done.
// Written at start as temp + fsync + rename + fsync of the directory, so a crash leaves the old ledger or the new
// one, never a mix. During the run the position moves in the ack slots (ack_cursor.h); the generation orders the
// ledger and the slots (the highest valid one is the truth).
#include <cstdint>
#include <string>

#include "agent/core/result.h"

namespace sluice {

struct Ledger {
  std::string id;        // 16 hex digits, random at creation; frame ids are "<id>-<seq>"
  uint32_t epoch = 0;
  uint64_t acked = 0;
  uint64_t generation = 0;  // 0 in ledgers written before the ack slots existed

  std::string serialize() const;
  static Result<Ledger> parse(std::string_view text);
};

// Blocking I/O: call from a worker thread (or at start-up, before the loop runs).
Status writeLedgerFile(const std::string& dir, const Ledger& ledger);
// Nothing there: an empty result (id empty). Unreadable or corrupt: an error saying why.
Result<Ledger> readLedgerFile(const std::string& dir);

}  // namespace sluice
