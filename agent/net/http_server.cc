#include "agent/net/http_server.h"

#include <spdlog/spdlog.h>

#include "agent/net/http_server_connection.h"

namespace sluice {

std::string_view HttpServerRequest::path() const {
  std::string_view t = target;
  return t.substr(0, t.find('?'));
}

std::string_view HttpServerRequest::query() const {
  std::string_view t = target;
  size_t q = t.find('?');
  return q == std::string_view::npos ? std::string_view() : t.substr(q + 1);
}

// HttpResponder: every call goes to the connection if it is still there, naming the request it answers.

bool HttpResponder::connected() const {
  auto c = conn_.lock();
  return c && c->open();
}

void HttpResponder::respond(int status, std::vector<HttpHeader> headers, std::string body) {
  if (auto c = conn_.lock()) c->respond(request_, status, std::move(headers), std::move(body));
}

void HttpResponder::abort(bool reset) {
  if (auto c = conn_.lock()) c->abort(request_, reset);
}

void HttpResponder::startStream(int status, std::vector<HttpHeader> headers) {
  if (auto c = conn_.lock()) c->startStream(request_, status, std::move(headers));
}

void HttpResponder::write(std::string chunk, std::function<void()> written) {
  if (auto c = conn_.lock()) {
    c->write(request_, std::move(chunk), std::move(written));
  } else if (written) {
    written();
  }
}

void HttpResponder::end() {
  if (auto c = conn_.lock()) c->end(request_);
}

size_t HttpResponder::pendingBytes() const {
  auto c = conn_.lock();
  return c ? c->pendingBytes() : 0;
}

void HttpResponder::onClose(std::function<void()> fn) {
  if (auto c = conn_.lock()) c->onClose(request_, std::move(fn));
}

std::unique_ptr<Stream> HttpResponder::takeOver(int status, std::vector<HttpHeader> headers, Stream::Handler* handler,
                                                std::string* leftover) {
  auto c = conn_.lock();
  if (!c) return nullptr;
  return c->takeOver(request_, status, std::move(headers), handler, leftover);
}

// HttpServer

HttpServer::HttpServer(Loop& loop, Options options, Handler handler)
    : impl_(std::make_unique<Impl>(loop, std::move(options), std::move(handler))) {}

HttpServer::~HttpServer() = default;

Result<uint16_t> HttpServer::listen() { return impl_->listen(); }
uint16_t HttpServer::port() const { return impl_->port; }
void HttpServer::stopListening() { impl_->stopListening(); }
void HttpServer::closeConnections(bool reset) { impl_->closeConnections(reset); }
size_t HttpServer::connectionCount() const { return impl_->conns.size(); }
const HttpServer::Stats& HttpServer::stats() const { return impl_->stats; }

HttpServer::Impl::Impl(Loop& l, Options o, Handler h)
    : loop(l), options(std::move(o)), handler(std::make_shared<Handler>(std::move(h))) {}

HttpServer::Impl::~Impl() {
  *alive = false;
  listener.close();
  auto all = std::move(conns);
  conns.clear();
  // Detached, the connections never call back into this server; one still on the stack (the handler destroyed
  // the server) lives on through its own reference until its callback returns.
  for (auto& [raw, conn] : all) conn->close(false, false, true);
}

Result<uint16_t> HttpServer::Impl::listen() {
  if (listener) return port;
  // After stopListening(), listen again on the port we had, even if it was picked by the kernel.
  uint16_t want = port != 0 ? port : options.port;
  std::string host = options.host == "localhost" ? "127.0.0.1" : options.host;
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  struct sockaddr_storage ss {};
  if (uv_ip4_addr(host.c_str(), want, reinterpret_cast<struct sockaddr_in*>(&ss)) != 0 &&
      uv_ip6_addr(host.c_str(), want, reinterpret_cast<struct sockaddr_in6*>(&ss)) != 0) {
    return Error{"cannot listen on '" + options.host + "': not an IP address", UV_EINVAL};
  }
  std::string where = options.host + ":" + std::to_string(want);
  int rc = listener.init(this, [this](uv_tcp_t* t) { return uv_tcp_init(loop.get(), t); });
  if (rc < 0) return Error{"cannot listen on " + where + ": " + uv_strerror(rc), rc};
  // libuv sets SO_REUSEADDR on bind, so a port released by stopListening() can be bound again at once.
  rc = uv_tcp_bind(listener.get(), reinterpret_cast<const struct sockaddr*>(&ss), 0);
  if (rc == 0) rc = uv_listen(listener.stream(), 511, &Impl::onConnection);
  if (rc < 0) {
    listener.close();
    return Error{"cannot listen on " + where + ": " + uv_strerror(rc), rc};
  }
  struct sockaddr_storage bound {};
  int len = sizeof bound;
  uv_tcp_getsockname(listener.get(), reinterpret_cast<struct sockaddr*>(&bound), &len);
  port = ntohs(bound.ss_family == AF_INET6 ? reinterpret_cast<struct sockaddr_in6*>(&bound)->sin6_port
                                           : reinterpret_cast<struct sockaddr_in*>(&bound)->sin_port);
  return port;
}

void HttpServer::Impl::stopListening() { listener.close(); }

void HttpServer::Impl::onConnection(uv_stream_t* l, int status) noexcept {
  auto* self = ownerOf<Impl>(l);
  if (self == nullptr) return;
  if (status < 0) {
    spdlog::warn("http server: accept failed: {}", uv_strerror(status));
    return;
  }
  if (self->conns.size() >= self->options.max_connections && !self->evictWaiting()) {
    self->refuse(l);
    return;
  }
  auto conn = std::make_shared<HttpServerConnection>(*self, self->loop);
  if (auto st = conn->accept(l); !st) {
    spdlog::warn("http server: {}", st.error().message);
    return;
  }
  self->conns.emplace(conn.get(), std::move(conn));
}

bool HttpServer::Impl::evictWaiting() {
  std::shared_ptr<HttpServerConnection> oldest;
  uint64_t oldest_since = UINT64_MAX;
  for (auto& [raw, conn] : conns) {
    std::optional<uint64_t> since = conn->waitingSinceMs();
    if (since && *since < oldest_since) {
      oldest_since = *since;
      oldest = conn;
    }
  }
  if (!oldest) return false;
  ++stats.evicted;
  if (options.on_turned_away) options.on_turned_away("connection_evicted");
  oldest->close(true, true, false);  // gone from conns at once (connectionGone)
  return true;
}

void HttpServer::Impl::refuse(uv_stream_t* l) {
  ++stats.refused;
  if (options.on_turned_away) options.on_turned_away("connection_refused");
  uint64_t suppressed = 0;
  if (refusals_log.allow(&suppressed)) {
    spdlog::warn("http server on port {}: {} connections, all busy: a new connection was refused{}", port,
                 conns.size(), suppressedNote(suppressed));
  }
  // Take it off the backlog and drop it; leaving it there would make libuv call us again at once.
  UvHandle<uv_tcp_t> drop;
  if (drop.init(nullptr, [this](uv_tcp_t* t) { return uv_tcp_init(loop.get(), t); }) == 0) uv_accept(l, drop.stream());
}

void HttpServer::Impl::closeConnections(bool reset) {
  std::vector<std::shared_ptr<HttpServerConnection>> all;
  all.reserve(conns.size());
  for (auto& [raw, conn] : conns) all.push_back(conn);
  for (auto& conn : all) conn->close(reset, true, false);
}

void HttpServer::Impl::connectionGone(HttpServerConnection* conn) { conns.erase(conn); }

}  // namespace sluice
