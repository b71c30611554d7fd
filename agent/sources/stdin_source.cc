#include "agent/sources/stdin_source.h"

namespace sluice {

StdinSource::StdinSource(Loop& loop, Router& router, SourceInfo info, Severity severity, size_t max_line_bytes,
                         int fd)
    : Source(std::move(info)),
      router_(router),
      fd_(fd),
      reader_(loop, router, info_, severity, max_line_bytes, counters_, [this](int) { markFinished(); }) {}

Status StdinSource::start() {
  Status st = reader_.openFd(fd_);
  if (!st) return st;
  if (router_.paused()) reader_.pause();
  reader_.start();
  return {};
}

}  // namespace sluice
