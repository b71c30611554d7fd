#include "agent/sources/line_echo.h"

#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "agent/core/log.h"

namespace sluice {

void LineEcho::write(std::string_view bytes) noexcept {
  while (fd_ >= 0 && !bytes.empty()) {
    ssize_t n = ::write(fd_, bytes.data(), bytes.size());
    if (n >= 0) {
      bytes.remove_prefix(static_cast<size_t>(n));
    } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
      pollfd p{fd_, POLLOUT, 0};
      ::poll(&p, 1, -1);
    } else if (errno != EINTR) {
      spdlog::warn("tee: cannot write to fd {}: {}; lines are no longer echoed", fd_, std::strerror(errno));
      fd_ = -1;
    }
  }
}

}  // namespace sluice
