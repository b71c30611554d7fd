#include "plugins/journald/cursor_file.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "agent/buffer/spool_format.h"
#include "agent/buffer/spool_io.h"
#include "agent/core/durable_file.h"
#include "agent/core/path.h"

namespace sluice::plugins::journald {
namespace {

constexpr uint32_t kSlotMagic = 0x31434a53;  // "SJC1"
constexpr size_t kHeaderBytes = 20;
constexpr char kFormat = 1;

}  // namespace

bool encodeCursorSlot(const CursorSlot& slot, char out[kCursorSlotBytes]) {
  const std::string& cursor = slot.cursor;
  if (cursor.empty() || cursor.size() > kMaxCursorBytes) return false;
  beginSlot(out, kCursorSlotBytes, kSlotMagic, slot.generation);
  out[16] = static_cast<char>(cursor.size() & 0xff);
  out[17] = static_cast<char>(cursor.size() >> 8);
  out[18] = kFormat;
  std::memcpy(out + kHeaderBytes, cursor.data(), cursor.size());
  sealSlot(out, kCursorSlotBytes);
  return true;
}

std::optional<CursorSlot> decodeCursorSlot(std::string_view bytes) {
  return decodeSlot<CursorSlot>(bytes, kCursorSlotBytes, kSlotMagic, [](const char* p, CursorSlot& slot) {
    const size_t len = static_cast<unsigned char>(p[16]) | static_cast<size_t>(static_cast<unsigned char>(p[17])) << 8;
    if (len == 0 || len > kMaxCursorBytes || p[18] != kFormat) return false;
    slot.cursor.assign(p + kHeaderBytes, len);
    return true;
  });
}

CursorScan scanCursorFile(std::string_view bytes) {
  return scanSlots<CursorSlot>(bytes, kCursorSlotBytes, decodeCursorSlot);
}

CursorFile::CursorFile(const std::string& state_dir, std::string_view source_name) {
  dir_ = state_dir;
  while (dir_.size() > 1 && dir_.back() == '/') dir_.pop_back();
  dir_ += "/checkpoints";
  path_ = dir_ + "/" + safeFileName(source_name) + ".cursor";
}

CursorFile::~CursorFile() {
  if (fd_ >= 0) ::close(fd_);
}

Result<CursorScan> CursorFile::open() {
  if (Status st = makeDirs(dir_); !st) {
    return makeError("cannot create the checkpoint directory: " + st.error().message);
  }
  CursorScan scan;
  if (::access(path_.c_str(), F_OK) == 0) {
    Result<std::string> bytes = readWholeFile(path_);
    if (!bytes) return bytes.takeError();
    scan = scanCursorFile(*bytes);
  }
  // Read first: a file of another size is made again (zeros) by openSlotFile.
  Result<int> fd = openSlotFile(path_, kCursorFileBytes, 0640);
  if (!fd) return fd.takeError();
  if (fd_ >= 0) ::close(fd_);
  fd_ = *fd;
  generation_ = scan.newest ? scan.newest->generation : 0;
  return scan;
}

int CursorFile::write(std::string_view cursor) noexcept {
  if (fd_ < 0) return EBADF;
  char slot[kCursorSlotBytes];
  CursorSlot s{generation_ + 1, std::string(cursor)};
  if (!encodeCursorSlot(s, slot)) return EOVERFLOW;
  if (int err = writeSlot(fd_, s.generation & 1, std::string_view(slot, sizeof slot)); err != 0) return err;
  generation_ = s.generation;
  return 0;
}

int CursorFile::sync() noexcept {
  if (fd_ < 0) return EBADF;
  return ::fdatasync(fd_) == 0 ? 0 : errno;
}

}  // namespace sluice::plugins::journald
