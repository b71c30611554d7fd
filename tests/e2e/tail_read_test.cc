// How the tail source reads: on the loop for small appends to a file it has caught up with, without touching the
// file's access time.
#include <fcntl.h>
#include <sys/stat.h>

#include "tests/e2e/tail_e2e.h"

using namespace sluice;
using namespace sluice::e2e;

namespace {
int64_t atimeNs(const std::string& path) {
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  return static_cast<int64_t>(st.st_atim.tv_sec) * 1000000000 + st.st_atim.tv_nsec;
}
}  // namespace

TEST_CASE("tail: reading a file leaves its access time as it was, through many small appends", "[e2e][tail]") {
  Env env;
  TestDrain drain(env.drainOptions());
  const std::string log = env.dir.file("app.log");
  writeFile(log, "line-0\n");
  // An access time older than the modification time: under relatime (the default mount) a read would update it.
  const timespec times[2] = {{1000000000, 0}, {0, UTIME_OMIT}};
  REQUIRE(::utimensat(AT_FDCWD, log.c_str(), times, 0) == 0);
  const int64_t before = atimeNs(log);
  AgentProcess agent(env.agent({"--config", env.config(drain, "", "", tailSource("[\"" + log + "\"]"))}));
  REQUIRE(drain.waitForMessages(1, 30s));
  // Small appends to a file read to its end: read on the loop, one at a time.
  for (int i = 1; i <= 50; ++i) {
    appendFile(log, "line-" + std::to_string(i) + "\n");
    REQUIRE(drain.waitForMessages(static_cast<size_t>(i) + 1, 30s));
  }
  CHECK(atimeNs(log) == before);
  CHECK(terminateAndFinish(agent) == 0);
  CHECK(drain.messageCount() == 51);
}
