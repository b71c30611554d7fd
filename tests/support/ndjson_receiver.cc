#include "tests/support/ndjson_receiver.h"

#include <deque>

#include "tests/support/files.h"
#include "tests/support/test_server.h"

namespace sluice {

struct NdjsonReceiver::Impl : TestServer {
  Options options;
  uint16_t port = 0;
  std::deque<int> script;
  std::vector<std::string> lines;
  size_t requests = 0;

  // What is wrong with a request, "" when nothing is.
  std::string problem(const HttpServerRequest& req) const {
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
    return problem;
  }

  void handle(HttpServerRequest&& req, HttpResponder responder) {
    update([&] { ++requests; });
    if (std::string bad = problem(req); !bad.empty()) {
      addError(bad);
      responder.respond(400, {}, bad);
      return;
    }
    int status = 200;
    update([&] {
      if (!script.empty()) {
        status = script.front();
        script.pop_front();
        return;
      }
      for (auto& line : splitLines(req.body)) lines.push_back(std::move(line));
    });
    responder.respond(status, {}, status == 200 ? "" : "scripted failure");
  }
};

NdjsonReceiver::NdjsonReceiver(Options options) : impl_(std::make_unique<Impl>()) {
  Impl& d = *impl_;
  d.options = std::move(options);
  TlsServerOptions tls;
  if (d.options.tls) tls = TlsServerOptions{d.options.cert_file, d.options.key_file, ""};
  d.port = d.listenHttp(HttpServer::Options{}, tls,
                        [&d](HttpServerRequest&& req, HttpResponder r) { d.handle(std::move(req), std::move(r)); });
}

NdjsonReceiver::~NdjsonReceiver() { impl_->shutdown(); }

std::string NdjsonReceiver::url() const {
  return std::string(impl_->options.tls ? "https" : "http") + "://127.0.0.1:" + std::to_string(impl_->port) +
         impl_->options.path;
}

void NdjsonReceiver::failNext(int count, int status) {
  impl_->update([&] { impl_->script.insert(impl_->script.end(), static_cast<size_t>(count), status); });
}

std::vector<std::string> NdjsonReceiver::lines() const { return impl_->copy(impl_->lines); }

size_t NdjsonReceiver::requests() const { return impl_->copy(impl_->requests); }

std::vector<std::string> NdjsonReceiver::protocolErrors() const { return impl_->errors(); }

bool NdjsonReceiver::waitForLines(size_t count, std::chrono::milliseconds deadline) const {
  return impl_->waitUntil([&] { return impl_->lines.size() >= count; }, deadline);
}

}  // namespace sluice
