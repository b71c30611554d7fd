#include "agent/net/http_client.h"

#include <algorithm>

#include "agent/net/http_client_connection.h"

namespace sluice {

namespace {
std::string defaultHostHeader(const HttpClient::Options& o) {
  std::string host = o.host.find(':') != std::string::npos && o.host.front() != '[' ? "[" + o.host + "]" : o.host;
  uint16_t default_port = o.tls ? 443 : 80;
  if (o.port == default_port) return host;
  return host + ":" + std::to_string(o.port);
}
}  // namespace

HttpClient::HttpClient(Loop& loop, Options options) : impl_(std::make_unique<Impl>(loop, std::move(options))) {}

HttpClient::~HttpClient() = default;

void HttpClient::send(HttpRequest request, Callback done) {
  impl_->send(PendingRequest{std::move(request), std::move(done)});
}

void HttpClient::close() { impl_->close(); }

size_t HttpClient::openConnections() const { return impl_->conns.size(); }

size_t HttpClient::idleConnections() const {
  return static_cast<size_t>(
      std::count_if(impl_->conns.begin(), impl_->conns.end(), [](const auto& c) { return c->idle(); }));
}

HttpClient::Impl::Impl(Loop& l, Options o) : loop(l), options(std::move(o)) {
  if (options.max_connections == 0) options.max_connections = 1;
  host_header = options.host_header.empty() ? defaultHostHeader(options) : options.host_header;
}

HttpClient::Impl::~Impl() {
  *alive = false;
  // Connections may be on the stack (a callback destroyed the client): they are freed on the next turn.
  for (auto& c : conns) {
    c->abandon();
    loop.deferDelete(std::move(c));
  }
}

void HttpClient::Impl::send(PendingRequest request) {
  queue.push_back(std::move(request));
  dispatch();  // only starts writes and connects: nothing here calls back synchronously
}

void HttpClient::Impl::dispatch() {
  while (!queue.empty()) {
    HttpClientConnection* conn = nullptr;
    bool full = conns.size() >= options.max_connections;
    // A request resent after a stale keep-alive failure prefers a new connection, but never waits for one.
    if (!queue.front().retried || full) {
      for (auto it = conns.rbegin(); it != conns.rend(); ++it) {
        if ((*it)->idle()) {
          conn = it->get();
          break;
        }
      }
    }
    if (conn == nullptr) {
      if (full) return;
      conns.push_back(std::make_unique<HttpClientConnection>(*this));
      conn = conns.back().get();
      conn->connect();
    }
    PendingRequest request = std::move(queue.front());
    queue.pop_front();
    conn->start(std::move(request));
  }
}

void HttpClient::Impl::connectionGone(HttpClientConnection* conn) {
  auto it = std::find_if(conns.begin(), conns.end(), [conn](const auto& c) { return c.get() == conn; });
  if (it != conns.end()) {
    loop.deferDelete(std::move(*it));  // we may be inside its callback
    conns.erase(it);
  }
  dispatch();
}

void HttpClient::Impl::finished(HttpClientConnection* conn, HttpClient::Callback done, Result<HttpResponse> result) {
  if (conn->closed()) {
    connectionGone(conn);
  } else {
    dispatch();
  }
  // Last: the callback may send more, close the client or destroy it.
  if (done) done(std::move(result));
}

void HttpClient::Impl::resend(HttpClientConnection* conn, PendingRequest request) {
  queue.push_front(std::move(request));
  connectionGone(conn);
}

void HttpClient::Impl::close() {
  std::vector<HttpClient::Callback> failing;
  for (auto& c : conns) {
    if (auto request = c->abandon()) failing.push_back(std::move(request->done));
    loop.deferDelete(std::move(c));
  }
  conns.clear();
  for (auto& r : queue) failing.push_back(std::move(r.done));
  queue.clear();
  if (failing.empty()) return;
  loop.post([alive = std::weak_ptr<bool>(alive), failing = std::move(failing)]() mutable {
    for (auto& done : failing) {
      auto a = alive.lock();
      if (!a || !*a) return;  // the client was destroyed: its pending callbacks are not called
      if (done) done(Error{"closing"});
    }
  });
}

}  // namespace sluice
