#include <catch2/catch.hpp>

#include <filesystem>

#include "plugins/tail/checkpoint_store.h"
#include "tests/support/files.h"
#include "tests/support/temp_dir.h"

using namespace sluice;
using namespace sluice::plugins::tail;

namespace {

CheckpointSet sample() {
  CheckpointSet set;
  set.written_us = 1714557600000000;
  set.scanned_us = 1714557599000000;
  FileCheckpoint a;
  a.key = FileKey{2049, 123456};
  a.offset = 987654321;
  a.fingerprint = Fingerprint{256, 0x0123456789abcdefULL};
  a.path = "/var/log/containers/web-1_shop_nginx-abc.log";
  a.real_path = "/var/log/pods/shop_web-1_uid/nginx/0.log";
  FileCheckpoint b;
  b.key = FileKey{1, 2};
  b.offset = 0;
  b.fingerprint = Fingerprint{3, 42};
  b.path = std::string("/tmp/odd name %20\nnew\xff line.log");
  b.real_path = b.path;
  set.files = {a, b};
  return set;
}


}  // namespace

TEST_CASE("checkpoints survive a save and a load, odd paths included") {
  TempDir dir;
  CheckpointStore store(dir.path() + "/state", "containers");
  REQUIRE(store.prepare().ok());
  CHECK(store.path() == dir.path() + "/state/checkpoints/containers.checkpoint");
  auto none = store.load();
  REQUIRE(none.ok());
  CHECK_FALSE(none->set);
  CHECK(none->problem.empty());

  REQUIRE(store.save(sample()).ok());
  auto loaded = store.load();
  REQUIRE(loaded.ok());
  REQUIRE(loaded->set);
  const CheckpointSet& s = *loaded->set;
  CHECK(s.written_us == 1714557600000000);
  CHECK(s.scanned_us == 1714557599000000);
  REQUIRE(s.files.size() == 2);
  CHECK(s.files[0].key == FileKey{2049, 123456});
  CHECK(s.files[0].offset == 987654321);
  CHECK(s.files[0].fingerprint == Fingerprint{256, 0x0123456789abcdefULL});
  CHECK(s.files[0].real_path == "/var/log/pods/shop_web-1_uid/nginx/0.log");
  CHECK(s.files[1].path == std::string("/tmp/odd name %20\nnew\xff line.log"));
  CHECK_FALSE(std::filesystem::exists(store.path() + ".tmp"));
}

TEST_CASE("a corrupt checkpoint file is reported and moved aside, and the source starts afresh") {
  TempDir dir;
  CheckpointStore store(dir.path(), "app");
  REQUIRE(store.prepare().ok());
  std::string good = CheckpointStore::serialize(sample());

  SECTION("garbage") { writeFile(store.path(), "\x01\x02 not a checkpoint"); }
  SECTION("truncated") { writeFile(store.path(), good.substr(0, good.size() / 2)); }
  SECTION("one digit changed") {
    std::string bad = good;
    bad[bad.find("987654321")] = '8';
    writeFile(store.path(), bad);
  }
  SECTION("empty") { writeFile(store.path(), ""); }

  auto loaded = store.load();
  REQUIRE(loaded.ok());
  CHECK_FALSE(loaded->set);
  CHECK(loaded->problem.find("corrupt") != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(store.path()));
  int aside = 0;
  for (const auto& e : std::filesystem::directory_iterator(store.dir())) {
    if (e.path().filename().string().rfind("app.checkpoint.corrupt-", 0) == 0) ++aside;
  }
  CHECK(aside == 1);
  // The next save works as on a first run.
  REQUIRE(store.save(sample()).ok());
  auto again = store.load();
  REQUIRE(again.ok());
  CHECK(again->set);
}

TEST_CASE("a checkpoint is replaced atomically and names never collide") {
  TempDir dir;
  CheckpointStore a(dir.path(), "a/b");
  CheckpointStore b(dir.path(), "a_b");
  CheckpointStore dots(dir.path(), "..");
  CHECK(a.path() != b.path());
  CHECK(dots.path().find("/../") == std::string::npos);
  CHECK(dots.path() != dir.path() + "/checkpoints/...checkpoint");
  REQUIRE(a.prepare().ok());
  REQUIRE(a.save(sample()).ok());
  std::string first = readFile(a.path());
  CheckpointSet next = sample();
  next.files[0].offset = 1;
  REQUIRE(a.save(next).ok());
  CHECK(readFile(a.path()) != first);
  CHECK(CheckpointStore::parse(readFile(a.path()))->files[0].offset == 1);
}

TEST_CASE("a checkpoint records the journal sequence it covers, and files written before the journal still load") {
  CheckpointSet set = sample();
  set.journal_seq = 123456789;
  auto parsed = CheckpointStore::parse(CheckpointStore::serialize(set));
  REQUIRE(parsed.ok());
  CHECK(parsed->journal_seq == 123456789);
  // The format of the previous version: no journal_seq line.
  const std::string old = "sluice-tail-checkpoints 1\nwritten_us 5\nscanned_us 4\n";
  char sum[17];
  snprintf(sum, sizeof sum, "%016llx", static_cast<unsigned long long>(fnv1a64(old)));
  auto before = CheckpointStore::parse(old + "end 0 " + sum + "\n");
  REQUIRE(before.ok());
  CHECK(before->journal_seq == 0);
  TempDir dir;
  CheckpointStore store(dir.path(), "a source");
  CHECK(store.journalPath() == dir.path() + "/checkpoints/a%20source.journal");
}

TEST_CASE("the checkpoint file's text is the one earlier versions read and write") {
  CheckpointSet set = sample();
  set.journal_seq = 77;
  set.files[1].real_path.clear();  // an empty real path is written as the path
  CHECK(CheckpointStore::serialize(set) ==
        "sluice-tail-checkpoints 1\n"
        "written_us 1714557600000000\n"
        "scanned_us 1714557599000000\n"
        "journal_seq 77\n"
        "file 2049 123456 987654321 256 0123456789abcdef /var/log/containers/web-1_shop_nginx-abc.log "
        "/var/log/pods/shop_web-1_uid/nginx/0.log\n"
        "file 1 2 0 3 000000000000002a /tmp/odd%20name%20%2520%0anew%ff%20line.log "
        "/tmp/odd%20name%20%2520%0anew%ff%20line.log\n"
        "end 2 03fbc2e6df91dc51\n");
}
