#pragma once
// A small file of two fixed-size slots written in turn, one pwrite each: the page cache keeps the newest through a
// crash of the process (kill -9) without an fsync per write, and a slot torn by a power loss fails its check while
// the other one stays whole. Of the slots that decode, the one with the highest generation is the truth. The
// spool's acknowledged position (ack_cursor.h) and a journald source's cursor are kept so.
#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "agent/core/result.h"

namespace sluice {

template <class Slot>
struct SlotScan {
  std::optional<Slot> newest;   // the valid slot with the highest generation
  int valid = 0;
  int torn = 0;                 // slots that hold something but do not decode (a power loss mid-write)
};

// The two slots at the start of `bytes`, each `slot_size` long, read with `decode(std::string_view) ->
// std::optional<Slot>` (a Slot has a `generation`). A slot of zeros is empty, not torn.
template <class Slot, class Decode>
SlotScan<Slot> scanSlots(std::string_view bytes, size_t slot_size, Decode&& decode) {
  SlotScan<Slot> scan;
  for (size_t i = 0; i < 2; ++i) {
    if (bytes.size() < (i + 1) * slot_size) break;
    std::string_view slot = bytes.substr(i * slot_size, slot_size);
    std::optional<Slot> s = decode(slot);
    if (!s) {
      if (slot.find_first_not_of('\0') != std::string_view::npos) ++scan.torn;
      continue;
    }
    ++scan.valid;
    if (!scan.newest || s->generation > scan.newest->generation) scan.newest = std::move(s);
  }
  return scan;
}

// Every slot starts alike: a magic number (4 bytes), the CRC-32C of all that follows its first 8 bytes (4), and the
// generation (8, above 0). beginSlot zeros the `size` bytes at `out` and writes the magic and the generation;
// sealSlot writes the CRC once the rest is in.
void beginSlot(char* out, size_t size, uint32_t magic, uint64_t generation);
void sealSlot(char* out, size_t size);
// The generation of a slot that is `size` bytes long, has `magic`, a good CRC and a generation above 0; nullopt
// when it is empty, torn or of another kind.
std::optional<uint64_t> slotGeneration(std::string_view bytes, size_t size, uint32_t magic);
// A whole slot (as slotGeneration) read into a Slot: its generation set, the rest read by `body(const char* slot,
// Slot&) -> bool`, false when what follows the header is not valid.
template <class Slot, class Body>
std::optional<Slot> decodeSlot(std::string_view bytes, size_t size, uint32_t magic, Body&& body) {
  std::optional<uint64_t> generation = slotGeneration(bytes, size, magic);
  if (!generation) return std::nullopt;
  Slot slot;
  slot.generation = *generation;
  if (!body(bytes.data(), slot)) return std::nullopt;
  return slot;
}

// Opens `path` read-write. When it is missing, or not `size` bytes long (its content was read before), it is made
// whole at that size first, zeros written durably (writeFileDurably), so that a crash never leaves a short file
// and rewriting the slots never needs free space. Blocking.
Result<int> openSlotFile(const std::string& path, size_t size, mode_t mode = 0644);

// Writes `slot` over slot `index` (0 or 1) of `fd` in one pwrite (continued after EINTR or a short write).
// Returns 0, or the errno of the failure: the other slot is then still the truth.
int writeSlot(int fd, size_t index, std::string_view slot) noexcept;

}  // namespace sluice
