#include <catch2/catch.hpp>

#include <fcntl.h>
#include <unistd.h>

#include "plugins/tail/file_identity.h"

using namespace sluice::plugins::tail;

namespace {
bool localAt(const char* path) {
  const int fd = ::open(path, O_RDONLY | O_CLOEXEC);
  REQUIRE(fd >= 0);
  const bool local = onLocalFileSystem(fd);
  ::close(fd);
  return local;
}
}  // namespace

TEST_CASE("tmpfs counts as a local file system (small reads on the loop), procfs like any type not known to be local does not", "[tail]") {
  CHECK(localAt("/dev/shm"));      // tmpfs
  CHECK_FALSE(localAt("/proc/self/stat"));   // procfs: not a disk Sluice knows, so the thread pool reads it
}
