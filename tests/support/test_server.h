#pragma once
// The plumbing every test server shares (the test drain, the syslog and NDJSON receivers): a loop on a thread of
// its own, a lock over what the server recorded, waits on it with a deadline, the protocol errors it saw, and an
// HTTP(S) listener on 127.0.0.1 port 0. A server's Impl derives from it and keeps its own records under `mu`.
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "agent/net/http_server.h"
#include "tests/support/loop_thread.h"

namespace sluice {

struct TestServer {
  // Ignores SIGPIPE: an answer written to a peer that left (an agent the test killed) must fail, not kill the test.
  TestServer();
  TestServer(const TestServer&) = delete;
  TestServer& operator=(const TestServer&) = delete;

  // An HTTP server on 127.0.0.1:0 made on the loop's thread, with TLS when `tls.cert_file` is set. Its port, or 0
  // when it could not start (errors() says why).
  uint16_t listenHttp(HttpServer::Options options, const TlsServerOptions& tls, HttpServer::Handler handler);
  // Runs `teardown` on the loop (it closes what the server opened there; the HTTP server is closed after it), then
  // ends the thread. The derived server's destructor calls it, while its members still live.
  void shutdown(const std::function<void()>& teardown = {});

  // A copy of a record, taken under the lock.
  template <class T>
  T copy(const T& field) const {
    std::lock_guard<std::mutex> lock(mu);
    return field;
  }
  // Changes records under the lock and wakes waitUntil().
  template <class F>
  void update(F&& change) {
    {
      std::lock_guard<std::mutex> lock(mu);
      change();
    }
    cv.notify_all();
  }
  // Waits until `cond` (called under the lock) holds or `deadline` passes; whether it held.
  bool waitUntil(const std::function<bool()>& cond, std::chrono::milliseconds deadline) const;
  // A protocol error: the first 100 are kept.
  void addError(std::string error);
  std::vector<std::string> errors() const { return copy(errors_); }

  LoopThread thread;  // first: it outlives everything that lives on its loop
  std::unique_ptr<HttpServer> http;
  mutable std::mutex mu;
  mutable std::condition_variable cv;

 private:
  std::vector<std::string> errors_;
};

}  // namespace sluice
