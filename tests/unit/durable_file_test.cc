// writeFileDurably: the new bytes whole, or the old file untouched and no temp file left behind.
#include <catch2/catch.hpp>
#include <sys/resource.h>
#include <sys/stat.h>

#include <algorithm>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <vector>

#include "agent/core/durable_file.h"
#include "tests/support/files.h"
#include "tests/support/small_fs.h"
#include "tests/support/temp_dir.h"

using namespace sluice;
namespace fs = std::filesystem;

namespace {

// The names in `dir`, sorted: what a failed write must leave exactly as it was.
std::vector<std::string> namesIn(const std::string& dir) {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(dir)) out.push_back(e.path().filename().string());
  std::sort(out.begin(), out.end());
  return out;
}

// Limits the size of files this process writes (RLIMIT_FSIZE) while it lives: a write that crosses the limit is
// cut short, and the next one fails with EFBIG (SIGXFSZ is ignored meanwhile, or it would end the process).
class FileSizeLimit {
 public:
  explicit FileSizeLimit(rlim_t bytes) {
    ::getrlimit(RLIMIT_FSIZE, &saved_);
    old_handler_ = std::signal(SIGXFSZ, SIG_IGN);
    struct rlimit lim = saved_;
    lim.rlim_cur = bytes;
    ok_ = ::setrlimit(RLIMIT_FSIZE, &lim) == 0;
  }
  ~FileSizeLimit() {
    ::setrlimit(RLIMIT_FSIZE, &saved_);
    std::signal(SIGXFSZ, old_handler_);
  }
  bool ok() const { return ok_; }

 private:
  struct rlimit saved_ {};
  void (*old_handler_)(int) = nullptr;
  bool ok_ = false;
};

}  // namespace

TEST_CASE("a durable write replaces the file with every byte and leaves no temp file", "[durable]") {
  TempDir dir;
  const std::string path = dir.file("state");
  writeFile(path, "old version");
  std::string bytes(300000, 'x');
  for (size_t i = 0; i < bytes.size(); i += 7) bytes[i] = static_cast<char>(i);
  REQUIRE(writeFileDurably(path, bytes));
  CHECK(readFile(path) == bytes);
  CHECK(namesIn(dir.path()) == std::vector<std::string>{"state"});

  REQUIRE(writeFileDurably(dir.file("empty"), ""));
  CHECK(fs::file_size(dir.file("empty")) == 0);
}

TEST_CASE("a durable write uses the temp name and the mode it is given", "[durable]") {
  TempDir dir;
  const std::string path = dir.file("ckpt");
  REQUIRE(writeFileDurably(path, "first", DurableWriteOptions{.tmp_suffix = ".tmp-final", .mode = 0640}));
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777 & ~0640) == 0);  // the umask may take bits away, never add them

  writeFile(path + ".tmp-final", "left by a crash");  // a stale temp file is simply overwritten
  REQUIRE(writeFileDurably(path, "new", DurableWriteOptions{.tmp_suffix = ".tmp-final", .mode = 0640}));
  CHECK(readFile(path) == "new");
  CHECK(namesIn(dir.path()) == std::vector<std::string>{"ckpt"});
}

TEST_CASE("a durable write into a directory that does not exist fails with the path and the reason", "[durable]") {
  TempDir dir;
  Status st = writeFileDurably(dir.file("missing/state"), "bytes");
  REQUIRE_FALSE(st);
  CHECK(st.error().message == "cannot create " + dir.file("missing/state.tmp") + ": " + std::strerror(ENOENT));
  CHECK(st.error().code == -ENOENT);
  CHECK(namesIn(dir.path()).empty());

  writeFile(dir.file("file"), "a file, not a directory");
  st = writeFileDurably(dir.file("file/state"), "bytes");
  REQUIRE_FALSE(st);
  CHECK(st.error().code == -ENOTDIR);
  CHECK(readFile(dir.file("file")) == "a file, not a directory");
}

TEST_CASE("a durable write whose rename fails leaves the old file and removes its temp file", "[durable]") {
  TempDir dir;
  // A non-empty directory cannot be replaced by a file, whoever runs the test (root passes permission checks).
  fs::create_directories(dir.file("state/inside"));
  Status st = writeFileDurably(dir.file("state"), "bytes");
  REQUIRE_FALSE(st);
  CHECK(st.error().message.find("cannot rename " + dir.file("state.tmp") + " to " + dir.file("state") + ": ") == 0);
  CHECK(st.error().code == -EISDIR);
  CHECK(fs::is_directory(dir.file("state/inside")));
  CHECK(namesIn(dir.path()) == std::vector<std::string>{"state"});
}

TEST_CASE("a durable write cut short and then refused fails whole: the old file stays, the temp file goes",
          "[durable]") {
  TempDir dir;
  const std::string path = dir.file("state");
  writeFile(path, "old version");
  Status st;
  {
    FileSizeLimit limit(1000);
    REQUIRE(limit.ok());
    st = writeFileDurably(path, std::string(5000, 'n'));  // 1000 bytes written, then EFBIG
  }
  REQUIRE_FALSE(st);
  CHECK(st.error().message == "cannot write " + path + ".tmp: " + std::strerror(EFBIG));
  CHECK(st.error().code == -EFBIG);
  CHECK(readFile(path) == "old version");
  CHECK(namesIn(dir.path()) == std::vector<std::string>{"state"});
}

TEST_CASE("a durable write on a full disk fails with ENOSPC, keeps the old file and frees its temp file's space",
          "[durable][disk full]") {
  TempDir dir;
  const std::string mount = dir.file("small");
  fs::create_directories(mount);
  SmallFs small(mount, 256 << 10, dir.file("ns"));
  if (!small.ok()) {
    WARN("SKIPPED: no private mount namespace here: " << small.why());
    return;
  }
  const std::string path = small.outside(mount + "/ledger");
  REQUIRE(writeFileDurably(path, "old version"));
  REQUIRE(small.fill("filler", 16 << 10));
  const uint64_t free_before = small.freeBytes();
  Status st = writeFileDurably(path, std::string(64 << 10, 'n'));  // the first write is cut short
  REQUIRE_FALSE(st);
  CHECK(st.error().code == -ENOSPC);
  CHECK(st.error().message.find("cannot write " + path + ".tmp: ") == 0);
  CHECK(readFile(path) == "old version");
  CHECK_FALSE(fs::exists(path + ".tmp"));
  CHECK(small.freeBytes() == free_before);
}

TEST_CASE("makeDirs creates the missing directories of a path, and refuses a path that is a file", "[durable]") {
  TempDir dir;
  const std::string deep = dir.file("a/b/c");
  REQUIRE(makeDirs(deep).ok());
  CHECK(fs::is_directory(deep));
  CHECK(makeDirs(deep).ok());  // already there
  writeFile(dir.file("file"), "x");
  Status st = makeDirs(dir.file("file"));
  REQUIRE_FALSE(st.ok());
  CHECK(st.error().message.find("is not a directory") != std::string::npos);
  CHECK_FALSE(makeDirs(dir.file("file/sub")).ok());
}
