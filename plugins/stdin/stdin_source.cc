#include "plugins/stdin/stdin_source.h"

#include <unistd.h>

namespace sluice::plugins::stdin {

StdinSource::StdinSource(Loop& loop, Router& router, SourceInfo info, Severity severity, size_t max_line_bytes,
                         int fd, bool hold_until_acked, bool tee)
    : Source(std::move(info)),
      router_(router),
      fd_(fd),
      hold_(hold_until_acked),
      reader_(loop, router, info_, severity, max_line_bytes, counters_, [this](int) { markFinished(); }),
      held_(loop, router, info_, severity, max_line_bytes, counters_, [this](int) { markFinished(); }) {
  if (tee) {
    reader_.echoTo(STDOUT_FILENO);
    held_.echoTo(STDOUT_FILENO);
  }
}

void StdinSource::pause() {
  withReader([](auto& r) { r.pause(); });
}

void StdinSource::resume() {
  withReader([](auto& r) { r.resume(); });
}

void StdinSource::stop() {
  withReader([](auto& r) { r.stop(); });
}

Status StdinSource::start() {
  if (hold_) {
    Status held = held_.open(fd_);
    if (held) {
      holding_ = true;
      spdlog::info("source {}: lines leave the stdin pipe only once spooled", info_.name);
      if (router_.pausedFor(info_.name)) held_.pause();
      held_.start();
      return {};
    }
    spdlog::info("source {}: standard input is {}: its lines are acknowledged as they are read", info_.name,
                 held.error().message);
  }
  Status st = reader_.openFd(fd_);
  if (!st) return st;
  if (router_.pausedFor(info_.name)) reader_.pause();
  reader_.start();
  return {};
}

}  // namespace sluice::plugins::stdin
