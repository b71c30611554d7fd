#pragma once
// `tee: true` (quick mode's --tee): what a source reads is also written, as it is read, to one of Sluice's own
// descriptors, so a wrapped program's output still reaches the terminal. The write blocks: a terminal or pipe
// that is not read slows the source down, as it would have slowed the program itself.
#include <string_view>

namespace sluice {

class LineEcho {
 public:
  // -1: off.
  void setFd(int fd) { fd_ = fd; }
  bool on() const { return fd_ >= 0; }
  // Every byte, through short writes, EINTR and a descriptor in non-blocking mode. After an error (the reader
  // went away) the echo is off, said once: the lines still go to the sinks.
  void write(std::string_view bytes) noexcept;

 private:
  int fd_ = -1;
};

}  // namespace sluice
