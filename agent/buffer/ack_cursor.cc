#include "agent/buffer/ack_cursor.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "agent/buffer/spool_format.h"

namespace sluice {
namespace {

constexpr uint32_t kSlotMagic = 0x314b4153;  // "SAK1"
constexpr size_t kBitmapOffset = 32;

}  // namespace

bool AckState::resolved(uint64_t seq) const {
  if (seq <= position) return true;
  const uint64_t i = seq - position - 1;
  return i < kAckWindow && (above[i / 64] >> (i % 64) & 1) != 0;
}

bool AckState::mark(uint64_t seq) {
  if (seq <= position) return true;
  const uint64_t i = seq - position - 1;
  if (i >= kAckWindow) return false;
  above[i / 64] |= uint64_t{1} << (i % 64);
  return true;
}

void encodeAckSlot(const AckState& s, char out[kAckSlotBytes]) {
  beginSlot(out, kAckSlotBytes, kSlotMagic, s.generation);
  putLe64(out + 16, s.position);
  putLe32(out + 24, s.epoch);
  for (size_t w = 0; w < s.above.size(); ++w) putLe64(out + kBitmapOffset + 8 * w, s.above[w]);
  sealSlot(out, kAckSlotBytes);
}

std::optional<AckState> decodeAckSlot(std::string_view bytes) {
  return decodeSlot<AckState>(bytes, kAckSlotBytes, kSlotMagic, [](const char* p, AckState& s) {
    s.position = getLe64(p + 16);
    s.epoch = getLe32(p + 24);
    for (size_t w = 0; w < s.above.size(); ++w) s.above[w] = getLe64(p + kBitmapOffset + 8 * w);
    return true;
  });
}

AckFileScan scanAckFile(std::string_view bytes) { return scanSlots<AckState>(bytes, kAckSlotBytes, decodeAckSlot); }

AckCursor::~AckCursor() {
  if (fd_ >= 0) ::close(fd_);
}

Result<int> AckCursor::openFile(const std::string& dir) { return openSlotFile(path(dir), kAckFileBytes); }

void AckCursor::attach(int fd, uint64_t generation) {
  if (fd_ >= 0) ::close(fd_);
  fd_ = fd;
  generation_ = generation;
}

int AckCursor::write(AckState state) noexcept {
  if (fd_ < 0) return EBADF;
  state.generation = ++generation_;
  char slot[kAckSlotBytes];
  encodeAckSlot(state, slot);
  const size_t index = state.generation & 1;
  if (int err = writeSlot(fd_, index, std::string_view(slot, sizeof slot)); err != 0) return err;
  written_[index] = state.position;
  return 0;
}

int AckCursor::writeBoth(const AckState& state) noexcept {
  int err = write(state);
  if (err != 0) return err;
  return write(state);
}

}  // namespace sluice
