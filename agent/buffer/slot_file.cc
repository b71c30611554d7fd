#include "agent/buffer/slot_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "agent/buffer/crc32c.h"
#include "agent/buffer/spool_format.h"
#include "agent/buffer/spool_io.h"
#include "agent/core/durable_file.h"

namespace sluice {

void beginSlot(char* out, size_t size, uint32_t magic, uint64_t generation) {
  std::memset(out, 0, size);
  putLe32(out, magic);
  putLe64(out + 8, generation);
}

void sealSlot(char* out, size_t size) { putLe32(out + 4, crc32c(0, out + 8, size - 8)); }

std::optional<uint64_t> slotGeneration(std::string_view bytes, size_t size, uint32_t magic) {
  if (bytes.size() != size) return std::nullopt;
  const char* p = bytes.data();
  if (getLe32(p) != magic || getLe32(p + 4) != crc32c(0, p + 8, size - 8)) return std::nullopt;
  const uint64_t generation = getLe64(p + 8);
  if (generation == 0) return std::nullopt;
  return generation;
}

Result<int> openSlotFile(const std::string& path, size_t size, mode_t mode) {
  int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
  if (fd >= 0) {
    struct stat st {};
    if (::fstat(fd, &st) == 0 && st.st_size == static_cast<off_t>(size)) return fd;
    ::close(fd);  // cut short or grown: made again below
  } else if (errno != ENOENT) {
    return posixError("cannot open", path, errno);
  }
  const std::vector<char> zeros(size, '\0');
  Status made = writeFileDurably(path, std::string_view(zeros.data(), zeros.size()), {.mode = mode});
  if (!made) return made.takeError();
  fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0) return posixError("cannot open", path, errno);
  return fd;
}

int writeSlot(int fd, size_t index, std::string_view slot) noexcept {
  const off_t at = static_cast<off_t>(index * slot.size());
  size_t done = 0;
  while (done < slot.size()) {
    ssize_t n = ::pwrite(fd, slot.data() + done, slot.size() - done, at + static_cast<off_t>(done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return n < 0 ? errno : EIO;
    done += static_cast<size_t>(n);
  }
  return 0;
}

}  // namespace sluice
