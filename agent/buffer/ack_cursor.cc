#include "agent/buffer/ack_cursor.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "agent/buffer/crc32c.h"
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
  std::memset(out, 0, kAckSlotBytes);
  putLe32(out, kSlotMagic);
  putLe64(out + 8, s.generation);
  putLe64(out + 16, s.position);
  putLe32(out + 24, s.epoch);
  for (size_t w = 0; w < s.above.size(); ++w) putLe64(out + kBitmapOffset + 8 * w, s.above[w]);
  putLe32(out + 4, crc32c(0, out + 8, kAckSlotBytes - 8));
}

std::optional<AckState> decodeAckSlot(std::string_view bytes) {
  if (bytes.size() != kAckSlotBytes) return std::nullopt;
  const char* p = bytes.data();
  if (getLe32(p) != kSlotMagic || getLe32(p + 4) != crc32c(0, p + 8, kAckSlotBytes - 8)) return std::nullopt;
  AckState s;
  s.generation = getLe64(p + 8);
  s.position = getLe64(p + 16);
  s.epoch = getLe32(p + 24);
  for (size_t w = 0; w < s.above.size(); ++w) s.above[w] = getLe64(p + kBitmapOffset + 8 * w);
  if (s.generation == 0) return std::nullopt;
  return s;
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
