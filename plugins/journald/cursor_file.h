#pragma once
// Where a journald source resumes: the journal cursor of the last entry acknowledged (every entry up to it was
// delivered or durably spooled), in <state_dir>/checkpoints/<source name>.cursor.
//
// The file is two fixed-size slots written in turn (slot_file.h), one pwrite per event-loop turn in which the
// position moved, as the spool's ack slots are: the page cache keeps the newest through kill -9, so a crash of the
// process sends again only what was not yet acknowledged. fsync runs every checkpoint_interval (and at the end)
// on a worker thread; a slot torn by a power loss fails its CRC and the other slot is then the truth.
//
// A slot, little-endian, 512 bytes: u32 magic "SJC1" | u32 CRC-32C of the 504 bytes that follow | u64 generation
// | u16 length | u8 format (1) | u8 0 | the cursor's bytes | zeros.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "agent/buffer/slot_file.h"
#include "agent/core/result.h"

namespace sluice::plugins::journald {

inline constexpr size_t kCursorSlotBytes = 512;
inline constexpr size_t kCursorFileBytes = 2 * kCursorSlotBytes;
inline constexpr size_t kMaxCursorBytes = kCursorSlotBytes - 20;   // sd-journal's cursors are ~110 bytes

struct CursorSlot {
  uint64_t generation = 0;
  std::string cursor;   // sd-journal's, of the last entry acknowledged; never empty
};

// False (nothing written to `out`) when the cursor is empty or longer than a slot holds.
bool encodeCursorSlot(const CursorSlot& slot, char out[kCursorSlotBytes]);
// The slot when whole (magic, CRC, a generation above 0, format 1, a cursor of 1 to kMaxCursorBytes); else nullopt.
std::optional<CursorSlot> decodeCursorSlot(std::string_view bytes);

using CursorScan = SlotScan<CursorSlot>;
CursorScan scanCursorFile(std::string_view bytes);

class CursorFile {
 public:
  // <state_dir>/checkpoints/<source name>.cursor (the name escaped to a safe file name).
  CursorFile(const std::string& state_dir, std::string_view source_name);
  ~CursorFile();
  CursorFile(const CursorFile&) = delete;
  CursorFile& operator=(const CursorFile&) = delete;

  const std::string& path() const { return path_; }

  // Blocking (start-up): creates the directory and the file (zeros, made durable) when missing, and returns what
  // its slots hold. A file of another size is read, then made again.
  Result<CursorScan> open();
  // One pwrite of the slot not written last, with the next generation. 0, or an errno (EOVERFLOW: the cursor is
  // empty or too long); the previous slot then stays the truth.
  int write(std::string_view cursor) noexcept;
  // Blocking fdatasync (at the end; the interval's runs on a worker thread with a dup of fd()).
  int sync() noexcept;
  int fd() const { return fd_; }
  uint64_t generation() const { return generation_; }

 private:
  std::string dir_;
  std::string path_;
  int fd_ = -1;
  uint64_t generation_ = 0;
};

}  // namespace sluice::plugins::journald
