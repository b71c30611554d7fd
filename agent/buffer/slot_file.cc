#include "agent/buffer/slot_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <vector>

#include "agent/buffer/spool_io.h"
#include "agent/core/durable_file.h"

namespace sluice {

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
