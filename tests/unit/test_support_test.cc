// The helpers the tests share (tests/support): files, the test-server base, the SinkRunner harness and the journal
// writer.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <stdexcept>
#include <thread>

#include "plugins/journald/journal.h"
#include "tests/support/files.h"
#include "tests/support/journal_writer.h"
#include "tests/support/raw_http.h"
#include "tests/support/sink_harness.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_server.h"

using namespace sluice;
using namespace std::chrono_literals;

TEST_CASE("readFile returns what writeFile and appendFile wrote, byte for byte", "[support]") {
  TempDir dir;
  const std::string bytes("a\r\nb\0c", 6);
  CHECK(writeFile(dir.file("f"), bytes) == dir.file("f"));
  CHECK(readFile(dir.file("f")) == bytes);
  appendFile(dir.file("f"), "tail");
  CHECK(readFile(dir.file("f")) == bytes + "tail");
  writeFile(dir.file("f"), "short");
  CHECK(readFile(dir.file("f")) == "short");
  appendFile(dir.file("new"), "made");
  CHECK(readFile(dir.file("new")) == "made");
  CHECK(readFile(dir.file("missing")).empty());
  CHECK_THROWS_AS(writeFile(dir.file("no/such/dir/f"), "x"), std::runtime_error);
  CHECK(readSource("README.md").find("## Layout") != std::string::npos);
  CHECK(splitLines("a\n\nb\nc") == std::vector<std::string>{"a", "", "b", "c"});
  CHECK(splitLines("a\n").size() == 1);
  CHECK(splitLines("").empty());
}

TEST_CASE("writeAll writes a buffer larger than a pipe holds, and fails once nobody reads", "[support]") {
  int fds[2];
  REQUIRE(pipe2(fds, O_CLOEXEC) == 0);
  std::string data(1 << 20, 'x');  // many times a pipe's 64 KiB: every write is a short one
  for (size_t i = 0; i < data.size(); i += 4096) data[i] = static_cast<char>('a' + (i / 4096) % 26);
  std::string got;
  std::thread reader([&] {
    char buf[8192];
    ssize_t n;
    while ((n = ::read(fds[0], buf, sizeof buf)) > 0) got.append(buf, static_cast<size_t>(n));
  });
  CHECK(writeAll(fds[1], data));
  ::close(fds[1]);
  reader.join();
  CHECK(got == data);

  REQUIRE(pipe2(fds, O_CLOEXEC) == 0);
  ::close(fds[0]);
  auto old = std::signal(SIGPIPE, SIG_IGN);  // EPIPE, not death
  CHECK_FALSE(writeAll(fds[1], "lost"));
  std::signal(SIGPIPE, old);
  ::close(fds[1]);
}

namespace {

// The smallest server on the base: it counts the requests it answered.
struct CountingServer : TestServer {
  size_t answered = 0;
  uint16_t port = 0;
  CountingServer() {
    port = listenHttp({}, {}, [this](HttpServerRequest&&, HttpResponder r) {
      update([&] { ++answered; });
      r.respond(200, {}, "ok");
    });
  }
  ~CountingServer() { shutdown(); }
};

}  // namespace

TEST_CASE("a test server listens on 127.0.0.1 port 0 on its own thread and its waits have deadlines", "[support]") {
  CountingServer server;
  REQUIRE(server.port != 0);
  CHECK_FALSE(server.waitUntil([&] { return server.answered == 1; }, 20ms));
  auto r = httpGet(server.port, "/");
  REQUIRE(r);
  CHECK(r->status == 200);
  CHECK(server.waitUntil([&] { return server.answered == 1; }, 10s));
  CHECK(server.copy(server.answered) == 1);
  for (int i = 0; i < 150; ++i) server.addError("e" + std::to_string(i));
  CHECK(server.errors().size() == 100);
  CHECK(server.errors().front() == "e0");
}

TEST_CASE("a test server with certificates that do not load does not start and says why", "[support]") {
  TempDir dir;
  struct Broken : TestServer {
    uint16_t port;
    explicit Broken(const std::string& missing)
        : port(listenHttp({}, TlsServerOptions{missing, missing, ""}, [](HttpServerRequest&&, HttpResponder) {})) {}
    ~Broken() { shutdown(); }
  } broken(dir.file("none.pem"));
  CHECK(broken.port == 0);
  REQUIRE(broken.errors().size() == 1);
  CHECK_THAT(broken.errors()[0], Catch::StartsWith("TLS: "));
}

TEST_CASE("the sink harness delivers numbered lines and reads back their bodies and the drop notices", "[support]") {
  SinkHarness h(testSinkSettings());
  h.send(0, 25);
  h.drain();
  CHECK(h.delivered() == lineTexts(0, 25));
  CHECK(h.transport->messages == 25);
  Notices n = countNotices({"line 1", "sluice: 7 messages dropped (buffer full, drop_newest)", "line 2",
                            "sluice: 3 messages dropped (buffer full, drop_oldest)"});
  CHECK(n.user == 2);
  CHECK(n.reported == 10);
  CHECK(n.reason == "(buffer full, drop_oldest)");
}

TEST_CASE("the journal writer's entries read back from its directory, appended runs and binary values included",
          "[support]") {
  uint64_t monotonic = 1;
  JournalEntry e = journalEntry("a\nb", "app", 3);
  e.realtime_us = 42;
  const std::string text = JournalWriter::exportFormat({e}, &monotonic);
  CHECK(text.find("__REALTIME_TIMESTAMP=42\n__MONOTONIC_TIMESTAMP=1\n") == 0);
  CHECK(text.find(std::string("MESSAGE\n\x03\0\0\0\0\0\0\0a\nb\n", 17)) != std::string::npos);   // binary form
  CHECK(text.find("SYSLOG_IDENTIFIER=app\nPRIORITY=3\n\n") != std::string::npos);
  CHECK(monotonic == 2);

  TempDir dir;
  JournalWriter writer(dir.file("journal"));
  REQUIRE(writer.append({e, journalEntry("second")}) == "");
  REQUIRE(writer.append({journalEntry("third")}) == "");
  auto journal = plugins::journald::Journal::open(writer.dir());
  REQUIRE(journal.ok());
  std::vector<std::string> messages;
  int error = 0;
  while ((*journal)->next() > 0) messages.emplace_back(*(*journal)->data("MESSAGE", &error));
  CHECK(error == 0);
  CHECK(messages == std::vector<std::string>{"MESSAGE=a\nb", "MESSAGE=second", "MESSAGE=third"});
}

TEST_CASE("the version is CMake's project(VERSION): the agent's SLUICE_VERSION and its User-Agent say it", "[version]") {
  CHECK(cmakeProjectVersion() == SLUICE_VERSION);
  CHECK(cmakeProjectVersion().find_first_not_of("0123456789.") == std::string::npos);
}
