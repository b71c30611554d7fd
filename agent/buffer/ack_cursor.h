#pragma once
// The spool's acknowledged position, durable against a crash of the process on every acknowledgement without an
// fsync per acknowledgement: two fixed-size slots in the file `acks`, written in turn, one pwrite each. The page
// cache keeps the newest through kill -9; fsync runs once per interval (and at close). A slot torn by a power loss
// fails its CRC, and then the other slot, or the ledger, is the truth: of the valid records, the one with the
// highest generation wins (the ledger carries a generation too).
//
// A slot, little-endian: u32 magic "SAK1" | u32 CRC-32C of the 152 bytes that follow | u64 generation |
// u64 position | u32 epoch | u32 reserved | 128 bytes of bitmap. Every record with seq <= position is resolved;
// bit i set says that seq position+1+i is resolved too (acknowledged out of order, ahead of an older batch still
// being retried), so it is not sent again after a crash either. Both slots lie in the file's first 512 bytes (one
// sector), and the file is created at its full size: rewriting the slots never needs free space.
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "agent/buffer/slot_file.h"
#include "agent/core/result.h"

namespace sluice {

inline constexpr size_t kAckSlotBytes = 160;
inline constexpr size_t kAckFileBytes = 512;
inline constexpr uint64_t kAckWindow = 1024;  // seqs above the position a slot can mark

struct AckState {
  uint64_t generation = 0;
  uint64_t position = 0;
  uint32_t epoch = 0;
  std::array<uint64_t, kAckWindow / 64> above{};

  // Whether record `seq` is resolved according to this state.
  bool resolved(uint64_t seq) const;
  // Marks `seq` resolved; false (nothing marked) when it lies outside the window above the position.
  bool mark(uint64_t seq);
};

// Pure functions over bytes, so that recovery can be tested and fuzzed without files.
void encodeAckSlot(const AckState& state, char out[kAckSlotBytes]);
// The slot's state when it is whole (magic, CRC, a generation above 0); nullopt when empty or torn.
std::optional<AckState> decodeAckSlot(std::string_view bytes);

using AckFileScan = SlotScan<AckState>;
AckFileScan scanAckFile(std::string_view bytes);

class AckCursor {
 public:
  AckCursor() = default;
  ~AckCursor();
  AckCursor(const AckCursor&) = delete;
  AckCursor& operator=(const AckCursor&) = delete;

  // Blocking: opens `dir`/acks, creating it at its full size (zeros, fsynced, directory fsynced) when missing.
  // Returns the descriptor.
  static Result<int> openFile(const std::string& dir);
  static std::string path(const std::string& dir) { return dir + "/acks"; }

  // Takes ownership of `fd`; the next write gets a generation above `generation`.
  void attach(int fd, uint64_t generation);
  bool usable() const { return fd_ >= 0; }
  int fd() const { return fd_; }
  uint64_t generation() const { return generation_; }
  void setGeneration(uint64_t g) { generation_ = g; }

  // One pwrite of one slot (the one not written last), with the next generation. Returns 0, or the errno of a
  // failed write (the owner counts and logs it; the previous slot stays the truth).
  int write(AckState state) noexcept;
  // Both slots (two pwrites), so that no older slot can claim a higher position: for stepping back.
  int writeBoth(const AckState& state) noexcept;
  // The highest position either slot may hold now.
  uint64_t highestWritten() const { return std::max(written_[0], written_[1]); }

 private:
  int fd_ = -1;
  uint64_t generation_ = 0;
  uint64_t written_[2] = {0, 0};
};

}  // namespace sluice
