// The owner of libuv requests (agent/loop/uv_request.h) and UvHandle's reset close. Leaks are LeakSanitizer's to
// find: a request or a libuv allocation for it (a path, an addrinfo list) not freed fails the test run.
#include <catch2/catch.hpp>
#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <string>

#include "agent/loop/loop.h"
#include "agent/loop/uv_request.h"
#include "tests/support/temp_dir.h"
#include "tests/support/wait.h"

using namespace sluice;
using namespace std::chrono_literals;

namespace {

// Counts its own destruction, so a test sees when a payload goes.
struct Tracker {
  int* freed = nullptr;
  Tracker(int* counter) : freed(counter) {}  // NOLINT: implicit, to build payloads with braces
  Tracker(Tracker&& other) noexcept : freed(std::exchange(other.freed, nullptr)) {}
  Tracker(const Tracker&) = delete;
  ~Tracker() {
    if (freed != nullptr) ++*freed;
  }
};

struct StatData {
  Tracker tracker;
  int* status = nullptr;
  bool* payload_seen = nullptr;
};
using StatReq = UvRequest<uv_fs_t, StatData>;

struct ResolveData {
  std::string* first = nullptr;
};
using ResolveReq = UvRequest<uv_getaddrinfo_t, ResolveData>;

}  // namespace

TEST_CASE("a request and its payload live until the completion callback and are freed with it", "[loop]") {
  TempDir dir{"sluice-uv-request"};
  Loop loop;
  int freed = 0;
  int status = 1;
  bool payload_seen = false;
  {
    auto req = StatReq::make(StatData{Tracker(&freed), &status, &payload_seen});
    StatReq* in_flight = req.get();
    int rc = StatReq::start(req, [&](uv_fs_t* r) {
      // uv_fs_stat copies the path into the request: uv_fs_req_cleanup must free it, or LeakSanitizer says so.
      return uv_fs_stat(loop.get(), r, dir.path().c_str(), [](uv_fs_t* done) noexcept {
        auto own = StatReq::adopt(done);
        *own->status = static_cast<int>(done->result);
        *own->payload_seen = own->tracker.freed != nullptr;
      });
    });
    REQUIRE(rc == 0);
    CHECK(req == nullptr);  // libuv holds it now
    CHECK(in_flight->req()->data == in_flight);
  }
  CHECK(freed == 0);
  REQUIRE(runLoopUntil(loop, [&] { return status != 1; }, 10s));
  CHECK(status == 0);
  CHECK(payload_seen);
  CHECK(freed == 1);
  REQUIRE(loop.close() == 0);
}

TEST_CASE("a request libuv refuses stays with the caller, payload and all", "[loop]") {
  int freed = 0;
  {
    auto req = StatReq::make(StatData{Tracker(&freed), nullptr, nullptr});
    int rc = StatReq::start(req, [](uv_fs_t*) { return UV_EINVAL; });
    CHECK(rc == UV_EINVAL);
    REQUIRE(req != nullptr);
    CHECK(req->tracker.freed == &freed);  // still there to answer whoever waits
    CHECK(freed == 0);
  }
  CHECK(freed == 1);
}

TEST_CASE("a resolver's address list is freed with its request", "[loop]") {
  Loop loop;
  std::string first;
  {
    struct addrinfo hints {};
    hints.ai_family = AF_INET;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICHOST;  // no name service: the test stays on this machine
    auto req = ResolveReq::make(ResolveData{&first});
    int rc = ResolveReq::start(req, [&](uv_getaddrinfo_t* r) {
      return uv_getaddrinfo(
          loop.get(), r,
          [](uv_getaddrinfo_t* done, int status, struct addrinfo* res) noexcept {
            auto own = ResolveReq::adopt(done);  // no uv_freeaddrinfo here: the owner does it
            if (status == 0 && res != nullptr) {
              char ip[INET6_ADDRSTRLEN] = {0};
              uv_ip4_name(reinterpret_cast<const struct sockaddr_in*>(res->ai_addr), ip, sizeof ip);
              *own->first = ip;
            } else {
              *own->first = "error";
            }
          },
          "127.0.0.1", "80", &hints);
    });
    REQUIRE(rc == 0);
  }
  REQUIRE(runLoopUntil(loop, [&] { return !first.empty(); }, 10s));
  CHECK(first == "127.0.0.1");
  REQUIRE(loop.close() == 0);
}

TEST_CASE("a write cancelled by closing its handle still comes back and is freed", "[loop]") {
  Loop loop;
  int fds[2];
  REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM, 0, fds) == 0);
  int freed = 0;
  int status = 1;
  {
    UvHandle<uv_pipe_t> pipe;
    REQUIRE(pipe.init(nullptr, [&](uv_pipe_t* p) { return uv_pipe_init(loop.get(), p, 0); }) == 0);
    REQUIRE(uv_pipe_open(pipe.get(), fds[0]) == 0);
    // More than the socket buffer takes, so part of it waits in libuv's queue when the handle closes.
    std::string big(8 << 20, 'x');
    uv_buf_t buf = uv_buf_init(big.data(), static_cast<unsigned>(big.size()));
    using WriteReq = UvRequest<uv_write_t, StatData>;
    auto req = WriteReq::make(StatData{Tracker(&freed), &status, nullptr});
    REQUIRE(WriteReq::start(req, [&](uv_write_t* r) {
              return uv_write(r, pipe.stream(), &buf, 1, [](uv_write_t* done, int st) noexcept {
                auto own = WriteReq::adopt(done);
                *own->status = st;
              });
            }) == 0);
    pipe.close();
    REQUIRE(runLoopUntil(loop, [&] { return status != 1; }, 10s));
  }
  CHECK(status == UV_ECANCELED);
  CHECK(freed == 1);
  ::close(fds[1]);
  REQUIRE(loop.close() == 0);
}

TEST_CASE("a TCP handle closed with a reset is freed by its owner and the peer sees the reset", "[loop]") {
  Loop loop;
  struct Peer {
    int read_status = 0;
  } peer;
  {
    UvHandle<uv_tcp_t> listener, server, client;
    REQUIRE(listener.init(&server, [&](uv_tcp_t* t) { return uv_tcp_init(loop.get(), t); }) == 0);
    struct sockaddr_in addr {};
    uv_ip4_addr("127.0.0.1", 0, &addr);
    REQUIRE(uv_tcp_bind(listener.get(), reinterpret_cast<const struct sockaddr*>(&addr), 0) == 0);
    REQUIRE(uv_listen(listener.stream(), 1, [](uv_stream_t* l, int) noexcept {
              auto* accepted = ownerOf<UvHandle<uv_tcp_t>>(l);
              accepted->init(nullptr, [&](uv_tcp_t* t) { return uv_tcp_init(l->loop, t); });
              uv_accept(l, accepted->stream());
            }) == 0);
    int len = sizeof addr;
    uv_tcp_getsockname(listener.get(), reinterpret_cast<struct sockaddr*>(&addr), &len);

    REQUIRE(client.init(&peer, [&](uv_tcp_t* t) { return uv_tcp_init(loop.get(), t); }) == 0);
    uv_connect_t connect{};
    bool connected = false;
    connect.data = &connected;
    REQUIRE(uv_tcp_connect(&connect, client.get(), reinterpret_cast<const struct sockaddr*>(&addr),
                           [](uv_connect_t* c, int st) noexcept { *static_cast<bool*>(c->data) = st == 0; }) == 0);
    REQUIRE(runLoopUntil(loop, [&] { return connected && static_cast<bool>(server); }, 10s));
    REQUIRE(uv_read_start(
                client.stream(),
                [](uv_handle_t*, size_t, uv_buf_t* b) noexcept {
                  static char buf[64];
                  *b = uv_buf_init(buf, sizeof buf);
                },
                [](uv_stream_t* s, ssize_t n, const uv_buf_t*) noexcept {
                  if (n < 0) ownerOf<Peer>(s)->read_status = static_cast<int>(n);
                }) == 0);

    server.closeReset();
    CHECK_FALSE(server);
    REQUIRE(runLoopUntil(loop, [&] { return peer.read_status != 0; }, 10s));
    CHECK(peer.read_status == UV_ECONNRESET);
  }
  REQUIRE(loop.close() == 0);
}
