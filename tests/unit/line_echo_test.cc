#include <fcntl.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <string>
#include <thread>

#include "agent/sources/line_echo.h"

using namespace sluice;

TEST_CASE("LineEcho writes every byte, waiting on a full non-blocking pipe until it is read", "[sources]") {
  int p[2];
  REQUIRE(::pipe2(p, O_CLOEXEC | O_NONBLOCK) == 0);
  const std::string data(1 << 20, 'x');  // more than the pipe holds: the write meets EAGAIN
  std::string got;
  std::thread reader([&] {
    ::fcntl(p[0], F_SETFL, 0);
    char buf[65536];
    ssize_t n;
    while ((n = ::read(p[0], buf, sizeof buf)) > 0) got.append(buf, static_cast<size_t>(n));
  });
  LineEcho echo;
  echo.setFd(p[1]);
  echo.write(data);
  CHECK(echo.on());
  ::close(p[1]);
  reader.join();
  ::close(p[0]);
  CHECK(got == data);
}

TEST_CASE("LineEcho turns itself off when nobody reads any more", "[sources]") {
  int p[2];
  REQUIRE(::pipe2(p, O_CLOEXEC) == 0);
  ::close(p[0]);
  LineEcho echo;
  echo.setFd(p[1]);
  echo.write("line\n");  // EPIPE (SIGPIPE is ignored by the test runner, as by Sluice)
  CHECK_FALSE(echo.on());
  echo.write("more\n");
  ::close(p[1]);
}
