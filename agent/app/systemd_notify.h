#pragma once
// The systemd notify protocol (sd_notify(3)), the few lines of it Sluice needs: datagrams to $NOTIFY_SOCKET with
// READY=1, RELOADING=1, STOPPING=1, WATCHDOG=1 and STATUS=. Without $NOTIFY_SOCKET nothing is sent.
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace sluice {

class SystemdNotifier {
 public:
  // Reads $NOTIFY_SOCKET, $WATCHDOG_USEC and $WATCHDOG_PID, then removes them from the environment so that a
  // child started by an exec source does not talk to systemd in Sluice's name. Null when there is no socket.
  static std::unique_ptr<SystemdNotifier> fromEnvironment();
  ~SystemdNotifier();

  // Sends one datagram, e.g. "READY=1\nSTATUS=running"; false when it could not be sent.
  bool send(std::string_view message);
  // Half of WATCHDOG_USEC (the interval sd_watchdog_enabled(3) recommends), when the watchdog is on for us.
  std::optional<std::chrono::milliseconds> watchdogInterval() const { return watchdog_; }

 private:
  SystemdNotifier() = default;
  int fd_ = -1;
  std::string address_;
  std::optional<std::chrono::milliseconds> watchdog_;
};

}  // namespace sluice
