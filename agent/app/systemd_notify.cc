#include "agent/app/systemd_notify.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>

namespace sluice {

std::unique_ptr<SystemdNotifier> SystemdNotifier::fromEnvironment() {
  const char* socket_env = std::getenv("NOTIFY_SOCKET");
  const char* usec_env = std::getenv("WATCHDOG_USEC");
  const char* pid_env = std::getenv("WATCHDOG_PID");
  std::string socket_path = socket_env != nullptr ? socket_env : "";
  std::optional<std::chrono::milliseconds> watchdog;
  if (usec_env != nullptr) {
    long long usec = std::atoll(usec_env);
    bool ours = pid_env == nullptr || std::atoll(pid_env) == static_cast<long long>(getpid());
    if (usec > 0 && ours) watchdog = std::chrono::milliseconds(std::max<long long>(usec / 2000, 1));
  }
  unsetenv("NOTIFY_SOCKET");
  unsetenv("WATCHDOG_USEC");
  unsetenv("WATCHDOG_PID");
  if (socket_path.empty() || (socket_path[0] != '/' && socket_path[0] != '@')) return nullptr;
  if (socket_path.size() >= sizeof(sockaddr_un::sun_path)) return nullptr;
  std::unique_ptr<SystemdNotifier> n(new SystemdNotifier);
  n->fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (n->fd_ < 0) return nullptr;
  n->address_ = socket_path;
  n->watchdog_ = watchdog;
  return n;
}

SystemdNotifier::~SystemdNotifier() {
  if (fd_ >= 0) ::close(fd_);
}

bool SystemdNotifier::send(std::string_view message) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, address_.data(), address_.size());
  socklen_t len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + address_.size());
  if (address_[0] == '@') {
    addr.sun_path[0] = '\0';  // the abstract namespace
  } else {
    len += 1;
  }
  // A datagram to a local socket does not block for long; MSG_DONTWAIT makes sure it never does.
  ssize_t n = ::sendto(fd_, message.data(), message.size(), MSG_NOSIGNAL | MSG_DONTWAIT,
                       reinterpret_cast<sockaddr*>(&addr), len);
  return n == static_cast<ssize_t>(message.size());
}

}  // namespace sluice
