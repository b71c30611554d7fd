#include "tests/support/test_server.h"

#include <csignal>

namespace sluice {

TestServer::TestServer() { std::signal(SIGPIPE, SIG_IGN); }

uint16_t TestServer::listenHttp(HttpServer::Options options, const TlsServerOptions& tls,
                                HttpServer::Handler handler) {
  uint16_t port = 0;
  thread.run([&] {
    options.host = "127.0.0.1";
    options.port = 0;
    if (!tls.cert_file.empty()) {
      auto ctx = TlsContext::makeServer(tls);
      if (!ctx) return addError("TLS: " + ctx.error().message);
      options.tls = *ctx;
    }
    http = std::make_unique<HttpServer>(thread.loop(), options, std::move(handler));
    auto listening = http->listen();
    if (!listening) return addError("listen: " + listening.error().message);
    port = *listening;
  });
  return port;
}

void TestServer::shutdown(const std::function<void()>& teardown) {
  thread.shutdown([&] {
    if (teardown) teardown();
    http.reset();
  });
}

bool TestServer::waitUntil(const std::function<bool()>& cond, std::chrono::milliseconds deadline) const {
  std::unique_lock<std::mutex> lock(mu);
  return cv.wait_for(lock, deadline, cond);
}

void TestServer::addError(std::string error) {
  update([&] {
    if (errors_.size() < 100) errors_.push_back(std::move(error));
  });
}

}  // namespace sluice
