#include "agent/net/tcp_stream.h"

#include <linux/sockios.h>
#include <netdb.h>
#include <sys/ioctl.h>

#include <cstring>

#include "agent/core/units.h"

namespace sluice {

namespace {

// One read buffer per thread, not per connection: a read is consumed before the next one starts, and a server
// with a thousand idle connections should not hold a thousand 64 KiB buffers.
constexpr size_t kReadBuffer = 64 * 1024;
thread_local char tReadBuffer[kReadBuffer];
thread_local char tPlainBuffer[kReadBuffer];
// Small writes are staged up to one full TLS record so that a request head and its body share records.
constexpr size_t kRecord = 16 * 1024;
thread_local char tStage[kRecord];

std::string uvMessage(int code) { return uv_strerror(code); }

std::string formatAddress(const struct sockaddr* sa) {
  char ip[INET6_ADDRSTRLEN] = {0};
  if (sa->sa_family == AF_INET) {
    const auto* in = reinterpret_cast<const struct sockaddr_in*>(sa);
    uv_ip4_name(in, ip, sizeof ip);
    return std::string(ip) + ":" + std::to_string(ntohs(in->sin_port));
  }
  if (sa->sa_family == AF_INET6) {
    const auto* in6 = reinterpret_cast<const struct sockaddr_in6*>(sa);
    uv_ip6_name(in6, ip, sizeof ip);
    return "[" + std::string(ip) + "]:" + std::to_string(ntohs(in6->sin6_port));
  }
  return "?";
}

void setPort(struct sockaddr_storage* ss, uint16_t port) {
  if (ss->ss_family == AF_INET) reinterpret_cast<struct sockaddr_in*>(ss)->sin_port = htons(port);
  if (ss->ss_family == AF_INET6) reinterpret_cast<struct sockaddr_in6*>(ss)->sin6_port = htons(port);
}

}  // namespace

struct TcpStream::WriteReq {
  uv_write_t req{};
  TcpStream* owner = nullptr;   // nulled when the stream is destroyed first
  std::function<void(int)> done;
  std::unique_ptr<char[]> cipher;  // TLS: the encrypted bytes, owned here so the caller's may go
  WriteReq* prev = nullptr;
  WriteReq* next = nullptr;
};

struct TcpStream::ResolveReq {
  uv_getaddrinfo_t req{};
  TcpStream* owner = nullptr;
};

struct TcpStream::ConnectReq {
  uv_connect_t req{};
  TcpStream* owner = nullptr;
};

std::unique_ptr<Stream> Stream::connect(Loop& loop, const ConnectOptions& options, Handler* handler) {
  auto stream = std::make_unique<TcpStream>(loop, handler);
  stream->startConnect(options);
  return stream;
}

Result<std::unique_ptr<Stream>> Stream::accept(Loop& loop, uv_stream_t* listener, std::shared_ptr<TlsContext> tls,
                                               Handler* handler) {
  auto stream = std::make_unique<TcpStream>(loop, handler);
  if (auto st = stream->startAccept(listener, std::move(tls)); !st) return st.takeError();
  return std::unique_ptr<Stream>(std::move(stream));
}

TcpStream::TcpStream(Loop& loop, Handler* handler) : loop_(loop), handler_(handler) {}

TcpStream::~TcpStream() {
  *alive_ = false;
  for (WriteReq* w = writes_; w != nullptr; w = w->next) w->owner = nullptr;
  writes_ = nullptr;
  if (state_ != State::Closed) {
    state_ = State::Closed;
    closeHandles(false);
  }
}

void TcpStream::startConnect(const ConnectOptions& options) {
  client_ = true;
  host_ = options.host;
  if (host_.size() >= 2 && host_.front() == '[' && host_.back() == ']') host_ = host_.substr(1, host_.size() - 2);
  port_ = options.port;
  endpoint_ = (host_.find(':') != std::string::npos ? "[" + host_ + "]" : host_) + ":" + std::to_string(port_);
  connect_timeout_ = options.connect_timeout;
  if (options.tls) {
    tls_ctx_ = options.tls;
    auto session = TlsSession::client(*tls_ctx_, options.server_name.empty() ? host_ : options.server_name);
    if (!session) {
      failLater(Error{"TLS setup for " + endpoint_ + " failed: " + session.error().message});
      return;
    }
    tls_ = std::move(session).value();
  }
  int rc = timer_.init(this, [this](uv_timer_t* t) { return uv_timer_init(loop_.get(), t); });
  if (rc == 0 && connect_timeout_.count() > 0) {
    uv_timer_start(timer_.get(), &TcpStream::onTimer, static_cast<uint64_t>(connect_timeout_.count()), 0);
  }

  struct sockaddr_storage ss {};
  if (uv_ip4_addr(host_.c_str(), port_, reinterpret_cast<struct sockaddr_in*>(&ss)) == 0 ||
      uv_ip6_addr(host_.c_str(), port_, reinterpret_cast<struct sockaddr_in6*>(&ss)) == 0) {
    addrs_.push_back(ss);
    state_ = State::Connecting;
    if (int err = connectNext(); err < 0) {
      failLater(Error{"connect to " + endpoint_ + " failed: " + uvMessage(err), err});
    }
    return;
  }
  state_ = State::Resolving;
  resolve_ = new ResolveReq;
  resolve_->owner = this;
  resolve_->req.data = resolve_;
  struct addrinfo hints {};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_ADDRCONFIG;
  rc = uv_getaddrinfo(loop_.get(), &resolve_->req, &TcpStream::onResolved, host_.c_str(), nullptr, &hints);
  if (rc < 0) {
    delete resolve_;
    resolve_ = nullptr;
    failLater(Error{"cannot resolve " + host_ + ": " + uvMessage(rc), rc});
  }
}

void TcpStream::onResolved(uv_getaddrinfo_t* req, int status, struct addrinfo* res) noexcept {
  std::unique_ptr<ResolveReq> own(static_cast<ResolveReq*>(req->data));
  TcpStream* self = own->owner;
  if (self == nullptr) {
    uv_freeaddrinfo(res);
    return;
  }
  self->resolve_ = nullptr;
  if (status < 0) {
    uv_freeaddrinfo(res);
    self->fail(Error{"cannot resolve " + self->host_ + ": " + uvMessage(status), status});
    return;
  }
  for (struct addrinfo* ai = res; ai != nullptr; ai = ai->ai_next) {
    if (ai->ai_family != AF_INET && ai->ai_family != AF_INET6) continue;
    struct sockaddr_storage ss {};
    std::memcpy(&ss, ai->ai_addr, ai->ai_addrlen);
    setPort(&ss, self->port_);
    self->addrs_.push_back(ss);
  }
  uv_freeaddrinfo(res);
  self->state_ = State::Connecting;
  if (int err = self->connectNext(); err < 0) {
    self->fail(Error{"connect to " + self->endpoint_ + " failed: " + uvMessage(err), err});
  }
}

int TcpStream::connectNext() {
  // Names often resolve to several addresses (::1 and 127.0.0.1 for localhost); try each in turn.
  int err = last_error_ != 0 ? last_error_ : UV_EADDRNOTAVAIL;
  while (next_addr_ < addrs_.size()) {
    const auto* addr = reinterpret_cast<const struct sockaddr*>(&addrs_[next_addr_++]);
    tcp_.close();
    int rc = tcp_.init(this, [this](uv_tcp_t* t) { return uv_tcp_init(loop_.get(), t); });
    if (rc < 0) return rc;
    uv_tcp_nodelay(tcp_.get(), 1);
    auto* req = new ConnectReq;
    req->owner = this;
    req->req.data = req;
    rc = uv_tcp_connect(&req->req, tcp_.get(), addr, &TcpStream::onConnect);
    if (rc == 0) {
      connect_ = req;
      return 0;
    }
    delete req;
    err = last_error_ = rc;
  }
  return err;
}

void TcpStream::onConnect(uv_connect_t* req, int status) noexcept {
  std::unique_ptr<ConnectReq> own(static_cast<ConnectReq*>(req->data));
  TcpStream* self = own->owner;
  if (self == nullptr) return;
  self->connect_ = nullptr;
  if (status < 0) {
    self->last_error_ = status;
    if (self->next_addr_ < self->addrs_.size() && self->connectNext() == 0) return;
    int err = self->last_error_;
    self->fail(Error{"connect to " + self->endpoint_ + " failed: " + uvMessage(err), err});
    return;
  }
  self->connected();
}

void TcpStream::connected() {
  struct sockaddr_storage ss {};
  int len = sizeof ss;
  if (uv_tcp_getpeername(tcp_.get(), reinterpret_cast<struct sockaddr*>(&ss), &len) == 0) {
    peer_ = formatAddress(reinterpret_cast<struct sockaddr*>(&ss));
  }
  if (tls_) {
    state_ = State::Handshaking;
    startReading();
    pumpTls();  // sends the ClientHello
  } else {
    becomeOpen();
  }
}

Status TcpStream::startAccept(uv_stream_t* listener, std::shared_ptr<TlsContext> tls) {
  int rc = tcp_.init(this, [this](uv_tcp_t* t) { return uv_tcp_init(loop_.get(), t); });
  if (rc < 0) return Error{"cannot accept: " + uvMessage(rc), rc};
  rc = uv_accept(listener, tcp_.stream());
  if (rc < 0) {
    state_ = State::Closed;
    tcp_.close();
    return Error{"cannot accept: " + uvMessage(rc), rc};
  }
  uv_tcp_nodelay(tcp_.get(), 1);
  struct sockaddr_storage ss {};
  int len = sizeof ss;
  if (uv_tcp_getpeername(tcp_.get(), reinterpret_cast<struct sockaddr*>(&ss), &len) == 0) {
    peer_ = formatAddress(reinterpret_cast<struct sockaddr*>(&ss));
  }
  endpoint_ = peer_;
  if (tls) {
    auto session = TlsSession::server(*tls);
    if (!session) {
      state_ = State::Closed;
      tcp_.close();
      return Error{"TLS setup failed: " + session.error().message};
    }
    tls_ctx_ = std::move(tls);
    tls_ = std::move(session).value();
    state_ = State::Handshaking;
  } else {
    state_ = State::Open;
  }
  startReading();
  return {};
}

void TcpStream::startReading() {
  if (!tcp_) return;
  // While handshaking we read even when paused: the handshake cannot finish otherwise.
  if (paused_ && state_ == State::Open) return;
  uv_read_start(tcp_.stream(), &TcpStream::onAlloc, &TcpStream::onRead);
}

void TcpStream::becomeOpen() {
  timer_.close();
  state_ = State::Open;
  if (paused_) {
    uv_read_stop(tcp_.stream());
  } else {
    startReading();
  }
  // Writes made while connecting go first, so anything the handler writes now lands after them.
  auto queued = std::move(queued_);
  queued_.clear();
  queued_bytes_ = 0;
  for (auto& q : queued) submit(q.bufs.data(), q.bufs.size(), std::move(q.done));
  if (state_ != State::Open) return;
  auto alive = alive_;
  if (client_ || tls_) {
    if (handler_ != nullptr) handler_->onStreamConnected();
  }
}

void TcpStream::onAlloc(uv_handle_t*, size_t, uv_buf_t* buf) noexcept {
  buf->base = tReadBuffer;
  buf->len = kReadBuffer;
}

void TcpStream::onRead(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf) noexcept {
  auto* self = ownerOf<TcpStream>(stream);
  if (self == nullptr || self->state_ == State::Closed || nread == 0) return;
  if (nread < 0) {
    int err = static_cast<int>(nread);
    if (err == UV_EOF) {
      self->fail(Error{"connection closed by " + self->endpoint_, UV_EOF});
    } else {
      self->fail(Error{"read from " + self->endpoint_ + " failed: " + uvMessage(err), err});
    }
    return;
  }
  if (!self->tls_) {
    if (self->handler_ != nullptr) self->handler_->onStreamData(buf->base, static_cast<size_t>(nread));
    return;
  }
  self->tls_->feed(buf->base, static_cast<size_t>(nread));
  self->pumpTls();
}

void TcpStream::pumpTls() {
  if (state_ == State::Handshaking) {
    auto done = tls_->handshake();
    if (!done) {
      fail(Error{"TLS handshake with " + endpoint_ + " failed: " + done.error().message, UV_EPROTO});
      return;
    }
    flushTls();
    if (!*done) return;
    auto alive = alive_;
    becomeOpen();
    if (!*alive || state_ != State::Open) return;
  }
  drainTls();
}

void TcpStream::drainTls() {
  auto alive = alive_;
  while (state_ == State::Open && !paused_) {
    auto got = tls_->read(tPlainBuffer, kReadBuffer);
    if (!got) {
      fail(Error{"TLS error on " + endpoint_ + ": " + got.error().message, UV_EPROTO});
      return;
    }
    if (*got == 0) break;
    if (handler_ != nullptr) handler_->onStreamData(tPlainBuffer, *got);
    if (!*alive) return;
  }
  if (state_ != State::Open) return;
  flushTls();  // session tickets, key updates, alerts
  if (tls_->peerClosed() && !paused_) fail(Error{"connection closed by " + endpoint_, UV_EOF});
}

void TcpStream::flushTls() {
  if (!tls_ || !tcp_ || tls_->pendingOutput() == 0) return;
  submit(nullptr, 0, nullptr);
}

Status TcpStream::encrypt(const uv_buf_t* bufs, size_t count) {
  size_t staged = 0;
  for (size_t i = 0; i < count; ++i) {
    const char* p = bufs[i].base;
    size_t n = bufs[i].len;
    while (n > 0) {
      if (staged == 0 && n >= kRecord) {
        size_t whole = n - n % kRecord;
        if (auto st = tls_->write(p, whole); !st) return st;
        p += whole;
        n -= whole;
        continue;
      }
      size_t take = std::min(n, kRecord - staged);
      std::memcpy(tStage + staged, p, take);
      staged += take;
      p += take;
      n -= take;
      if (staged == kRecord) {
        if (auto st = tls_->write(tStage, staged); !st) return st;
        staged = 0;
      }
    }
  }
  if (staged > 0) return tls_->write(tStage, staged);
  return {};
}

void TcpStream::submit(const uv_buf_t* bufs, size_t count, std::function<void(int)> done) {
  auto* req = new WriteReq;
  req->owner = this;
  req->done = std::move(done);
  req->req.data = req;
  int rc = 0;
  if (tls_) {
    Status st = encrypt(bufs, count);
    size_t len = tls_->pendingOutput();
    req->cipher = std::make_unique_for_overwrite<char[]>(len);
    len = tls_->takeOutput(req->cipher.get(), len);
    if (!st) {
      auto cb = std::move(req->done);
      delete req;
      if (cb) loop_.post([alive = std::weak_ptr<bool>(alive_), cb = std::move(cb)] {
        if (auto a = alive.lock(); a && *a) cb(UV_EPROTO);
      });
      failLater(Error{"TLS error on " + endpoint_ + ": " + st.error().message, UV_EPROTO});
      return;
    }
    uv_buf_t out = uv_buf_init(req->cipher.get(), static_cast<unsigned>(len));
    rc = uv_write(&req->req, tcp_.stream(), &out, 1, &TcpStream::onWrite);
    if (rc == 0) socket_bytes_ += len;
  } else {
    // Plain TCP: the caller's buffers go to the kernel as they are.
    rc = uv_write(&req->req, tcp_.stream(), bufs, static_cast<unsigned>(count), &TcpStream::onWrite);
    if (rc == 0) {
      for (size_t i = 0; i < count; ++i) socket_bytes_ += bufs[i].len;
    }
  }
  if (rc < 0) {
    auto cb = std::move(req->done);
    delete req;
    if (cb) loop_.post([alive = std::weak_ptr<bool>(alive_), cb = std::move(cb), rc] {
      if (auto a = alive.lock(); a && *a) cb(rc);
    });
    failLater(Error{"write to " + endpoint_ + " failed: " + uvMessage(rc), rc});
    return;
  }
  req->next = writes_;
  if (writes_ != nullptr) writes_->prev = req;
  writes_ = req;
}

void TcpStream::unlink(WriteReq* req) {
  if (req->prev != nullptr) req->prev->next = req->next;
  if (req->next != nullptr) req->next->prev = req->prev;
  if (writes_ == req) writes_ = req->next;
  req->prev = req->next = nullptr;
}

void TcpStream::onWrite(uv_write_t* r, int status) noexcept {
  std::unique_ptr<WriteReq> req(static_cast<WriteReq*>(r->data));
  TcpStream* self = req->owner;
  if (self == nullptr) return;  // the stream was destroyed, and with it whoever was waiting
  self->unlink(req.get());
  auto alive = self->alive_;
  if (req->done) req->done(status);
  if (!*alive) return;
  if (status < 0 && status != UV_ECANCELED && self->state_ != State::Closed) {
    self->fail(Error{"write to " + self->endpoint_ + " failed: " + uvMessage(status), status});
  }
}

void TcpStream::write(const uv_buf_t* bufs, size_t count, std::function<void(int status)> done) {
  if (state_ == State::Closed) {
    if (done) loop_.post([alive = std::weak_ptr<bool>(alive_), done = std::move(done)] {
      if (auto a = alive.lock(); a && *a) done(UV_ECANCELED);
    });
    return;
  }
  if (count == 0) {
    // libuv refuses an empty write; the contract still owes the caller a later `done`.
    if (done) loop_.post([alive = std::weak_ptr<bool>(alive_), done = std::move(done)] {
      if (auto a = alive.lock(); a && *a) done(0);
    });
    return;
  }
  if (state_ != State::Open) {
    Queued q{std::vector<uv_buf_t>(bufs, bufs + count), std::move(done)};
    for (size_t i = 0; i < count; ++i) queued_bytes_ += bufs[i].len;
    queued_.push_back(std::move(q));
    return;
  }
  submit(bufs, count, std::move(done));
}

size_t TcpStream::pendingWriteBytes() const {
  size_t n = queued_bytes_;
  if (tcp_) n += uv_stream_get_write_queue_size(tcp_.stream());
  return n;
}

int64_t TcpStream::socketBytesAcknowledged() const {
  if (state_ != State::Open || !tcp_) return -1;
  uv_os_fd_t fd = -1;
  if (uv_fileno(tcp_.handle(), &fd) != 0) return -1;
  // SIOCOUTQ: bytes in the send queue not yet acknowledged by the peer (sent or not), Linux's tcp(7).
  int unacked = 0;
  if (::ioctl(fd, SIOCOUTQ, &unacked) != 0 || unacked < 0) return -1;
  uint64_t not_in_kernel = uv_stream_get_write_queue_size(tcp_.stream());
  uint64_t outstanding = not_in_kernel + static_cast<uint64_t>(unacked);
  return outstanding >= socket_bytes_ ? 0 : static_cast<int64_t>(socket_bytes_ - outstanding);
}

void TcpStream::pauseReading() {
  paused_ = true;
  if (state_ == State::Open && tcp_) uv_read_stop(tcp_.stream());
}

void TcpStream::resumeReading() {
  if (!paused_) return;
  paused_ = false;
  if (state_ != State::Open) return;
  startReading();
  // TLS may hold records decrypted-but-undelivered from before the pause; deliver them on a later turn.
  if (tls_ && !drain_posted_) {
    drain_posted_ = true;
    loop_.post([this, alive = std::weak_ptr<bool>(alive_)] {
      auto a = alive.lock();
      if (!a || !*a) return;
      drain_posted_ = false;
      if (state_ == State::Open && !paused_) drainTls();
    });
  }
}

void TcpStream::onTimer(uv_timer_t* timer) noexcept {
  auto* self = ownerOf<TcpStream>(timer);
  if (self == nullptr || self->state_ == State::Closed) return;
  if (self->shutdown_done_) {
    self->close();  // the peer did not close its side in time
    return;
  }
  const char* what = self->state_ == State::Handshaking ? "TLS handshake with " : "connect to ";
  self->fail(Error{what + self->endpoint_ + " timed out after " + formatDuration(self->connect_timeout_),
                   UV_ETIMEDOUT});
}

void TcpStream::close(bool reset) {
  if (state_ == State::Closed) return;
  state_ = State::Closed;
  closeHandles(reset);
  cancelQueued();
  finishShutdown();
}

void TcpStream::shutdown(std::chrono::milliseconds timeout, std::function<void()> done) {
  handler_ = nullptr;
  if (state_ != State::Open || !tcp_ || shutdown_done_) {
    // Not up (or already ending): nothing was delivered over it that the peer could still be reading.
    shutdown_done_ = std::move(done);
    if (state_ == State::Closed) {
      finishShutdown();
    } else {
      close();
    }
    return;
  }
  shutdown_done_ = std::move(done);
  if (tls_ && tls_->handshakeDone()) {
    tls_->shutdown();
    flushTls();
  }
  // FIN once the pending writes are out; the request frees itself whatever happens to the handle.
  auto* req = new uv_shutdown_t{};
  if (uv_shutdown(req, tcp_.stream(), [](uv_shutdown_t* r, int) { delete r; }) != 0) {
    delete req;
    close();
    return;
  }
  paused_ = false;
  startReading();
  if (timer_.init(this, [this](uv_timer_t* t) { return uv_timer_init(loop_.get(), t); }) == 0) {
    uv_timer_start(timer_.get(), &TcpStream::onTimer, static_cast<uint64_t>(std::max<int64_t>(timeout.count(), 1)), 0);
  }
}

void TcpStream::finishShutdown() {
  if (!shutdown_done_) return;
  loop_.post([alive = std::weak_ptr<bool>(alive_), done = std::move(shutdown_done_)] {
    if (auto a = alive.lock(); a && *a) done();
  });
  shutdown_done_ = nullptr;
}

void TcpStream::fail(Error why) {
  if (state_ == State::Closed) return;
  state_ = State::Closed;
  closeHandles(false);
  cancelQueued();
  finishShutdown();  // a graceful shutdown ends here: the peer closed its side (EOF) or the connection broke
  auto alive = alive_;
  if (handler_ != nullptr) handler_->onStreamClosed(why);
}

void TcpStream::failLater(Error why) {
  loop_.post([this, alive = std::weak_ptr<bool>(alive_), why = std::move(why)]() mutable {
    auto a = alive.lock();
    if (!a || !*a) return;
    fail(std::move(why));  // a no-op when the owner closed the stream meanwhile
  });
}

void TcpStream::cancelQueued() {
  if (queued_.empty()) return;
  auto queued = std::move(queued_);
  queued_.clear();
  queued_bytes_ = 0;
  loop_.post([alive = std::weak_ptr<bool>(alive_), queued = std::move(queued)]() mutable {
    auto a = alive.lock();
    if (!a || !*a) return;
    for (auto& q : queued) {
      if (q.done) q.done(UV_ECANCELED);
      if (!*a) return;
    }
  });
}

void TcpStream::closeHandles(bool reset) {
  timer_.close();
  if (resolve_ != nullptr) {
    // The resolver runs on the thread pool; its callback still comes (UV_EAI_CANCELED) and frees the request.
    resolve_->owner = nullptr;
    uv_cancel(reinterpret_cast<uv_req_t*>(&resolve_->req));
    resolve_ = nullptr;
  }
  if (connect_ != nullptr) {
    connect_->owner = nullptr;  // closing the handle cancels it
    connect_ = nullptr;
  }
  if (!tcp_) return;
  uv_tcp_t* tcp = tcp_.get();
  if (reset) {
    tcp->data = nullptr;
    if (uv_tcp_close_reset(tcp, [](uv_handle_t* h) { delete reinterpret_cast<uv_tcp_t*>(h); }) == 0) {
      tcp_.close();  // already closing: only forgets the handle
      return;
    }
  } else if (tls_ && !uv_is_closing(tcp_.handle())) {
    // close_notify (or a pending alert) is best effort: sent only if the socket takes it right now, because
    // closing the handle would cancel a queued write anyway.
    if (tls_->handshakeDone()) tls_->shutdown();
    if (tls_->pendingOutput() > 0 && uv_stream_get_write_queue_size(tcp_.stream()) == 0) {
      std::string bye = tls_->takeOutput();
      uv_buf_t b = uv_buf_init(bye.data(), static_cast<unsigned>(bye.size()));
      uv_try_write(tcp_.stream(), &b, 1);
    }
  }
  tcp_.close();
}

}  // namespace sluice
