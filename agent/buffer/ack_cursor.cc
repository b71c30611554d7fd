#include "agent/buffer/ack_cursor.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "agent/buffer/crc32c.h"
#include "agent/buffer/spool_format.h"
#include "agent/core/durable_file.h"

namespace sluice {
namespace {

constexpr uint32_t kSlotMagic = 0x314b4153;  // "SAK1"
constexpr size_t kBitmapOffset = 32;

Error fileError(const std::string& what, const std::string& path, int err) {
  return Error{what + " " + path + ": " + std::strerror(err), -err};
}

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

AckFileScan scanAckFile(std::string_view bytes) {
  AckFileScan scan;
  for (size_t i = 0; i < 2; ++i) {
    if (bytes.size() < (i + 1) * kAckSlotBytes) break;
    std::string_view slot = bytes.substr(i * kAckSlotBytes, kAckSlotBytes);
    auto s = decodeAckSlot(slot);
    if (!s) {
      if (slot.find_first_not_of('\0') != std::string_view::npos) ++scan.torn;
      continue;
    }
    ++scan.valid;
    if (!scan.newest || s->generation > scan.newest->generation) scan.newest = s;
  }
  return scan;
}

AckCursor::~AckCursor() {
  if (fd_ >= 0) ::close(fd_);
}

Result<int> AckCursor::openFile(const std::string& dir) {
  const std::string p = path(dir);
  int fd = ::open(p.c_str(), O_RDWR | O_CLOEXEC);
  if (fd >= 0) {
    struct stat st {};
    if (::fstat(fd, &st) == 0 && st.st_size == static_cast<off_t>(kAckFileBytes)) return fd;
    ::close(fd);  // cut short: made again below (its content was read already)
  } else if (errno != ENOENT) {
    return fileError("cannot open", p, errno);
  }
  // Made whole under another name and renamed, so that a crash never leaves a short file.
  const char zeros[kAckFileBytes] = {};
  Status made = writeFileDurably(p, std::string_view(zeros, sizeof zeros));
  if (!made) return made.takeError();
  fd = ::open(p.c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0) return fileError("cannot open", p, errno);
  return fd;
}

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
  ssize_t n;
  do {
    n = ::pwrite(fd_, slot, sizeof slot, static_cast<off_t>(index * kAckSlotBytes));
  } while (n < 0 && errno == EINTR);
  if (n != static_cast<ssize_t>(sizeof slot)) return n < 0 ? errno : EIO;
  written_[index] = state.position;
  return 0;
}

int AckCursor::writeBoth(const AckState& state) noexcept {
  int err = write(state);
  if (err != 0) return err;
  return write(state);
}

}  // namespace sluice
