#include "tests/support/ndjson_receiver.h"

#include <condition_variable>
#include <csignal>
#include <deque>
#include <functional>
#include <future>
#include <mutex>
#include <thread>

#include "agent/loop/loop.h"
#include "tests/support/loop_thread.h"
#include "agent/net/http_server.h"

namespace sluice {

struct NdjsonReceiver::Impl {
  LoopThread thread;  // first: it outlives everything that lives on its loop
  Options options;
  std::unique_ptr<HttpServer> server;
  uint16_t port = 0;

  mutable std::mutex mu;
  mutable std::condition_variable cv;
  std::deque<int> script;
  std::vector<std::string> lines;
  std::vector<std::string> errors;
  size_t requests = 0;


  void handle(HttpServerRequest&& req, HttpResponder responder) {
    std::unique_lock<std::mutex> lock(mu);
    ++requests;
    auto header = [&](const char* name) {
      const std::string* v = req.header(name);
      return v ? *v : std::string();
    };
    std::string problem;
    if (req.method != "POST") problem = "method " + req.method;
    if (req.path() != options.path) problem = "path " + std::string(req.path());
    if (header("Content-Type") != "application/x-ndjson") problem = "Content-Type: " + header("Content-Type");
    if (!options.expected_auth.empty() && header("Authorization") != options.expected_auth) {
      problem = "Authorization: " + header("Authorization");
    }
    if (req.body.empty() || req.body.back() != '\n') problem = "the body does not end with a newline";
    if (!problem.empty()) {
      errors.push_back(problem);
      lock.unlock();
      responder.respond(400, {}, problem);
      return;
    }
    if (!script.empty()) {
      int status = script.front();
      script.pop_front();
      lock.unlock();
      responder.respond(status, {}, "scripted failure");
      return;
    }
    size_t start = 0;
    while (start < req.body.size()) {
      size_t nl = req.body.find('\n', start);
      lines.push_back(req.body.substr(start, nl - start));
      start = nl + 1;
    }
    cv.notify_all();
    lock.unlock();
    responder.respond(200, {}, "");
  }
};

NdjsonReceiver::NdjsonReceiver(Options options) : impl_(std::make_unique<Impl>()) {
  std::signal(SIGPIPE, SIG_IGN);  // a client that left must not kill the test process
  Impl& d = *impl_;
  d.options = std::move(options);
  d.thread.run([&d] {
    HttpServer::Options so;
    if (d.options.tls) {
      auto ctx = TlsContext::makeServer(TlsServerOptions{d.options.cert_file, d.options.key_file, ""});
      if (ctx) so.tls = *ctx;
    }
    d.server = std::make_unique<HttpServer>(d.thread.loop(), so, [&d](HttpServerRequest&& req, HttpResponder r) {
      d.handle(std::move(req), std::move(r));
    });
    auto port = d.server->listen();
    d.port = port ? *port : 0;
  });
}

NdjsonReceiver::~NdjsonReceiver() {
  impl_->thread.shutdown([this] { impl_->server.reset(); });
}

std::string NdjsonReceiver::url() const {
  return std::string(impl_->options.tls ? "https" : "http") + "://127.0.0.1:" + std::to_string(impl_->port) +
         impl_->options.path;
}

void NdjsonReceiver::failNext(int count, int status) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  for (int i = 0; i < count; ++i) impl_->script.push_back(status);
}

std::vector<std::string> NdjsonReceiver::lines() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->lines;
}

size_t NdjsonReceiver::requests() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->requests;
}

std::vector<std::string> NdjsonReceiver::protocolErrors() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->errors;
}

bool NdjsonReceiver::waitForLines(size_t count, std::chrono::milliseconds deadline) const {
  std::unique_lock<std::mutex> lock(impl_->mu);
  return impl_->cv.wait_for(lock, deadline, [&] { return impl_->lines.size() >= count; });
}

}  // namespace sluice
