#include "agent/net/tcp_stream.h"

#include <linux/sockios.h>
#include <netdb.h>
#include <sys/ioctl.h>

#include <algorithm>
#include <cstring>

#include "agent/core/thread_buffer.h"
#include "agent/core/units.h"

namespace sluice {

namespace {

// One read buffer per thread, not per connection: a read is consumed before the next one starts, and a server
// with a thousand idle connections should not hold a thousand 64 KiB buffers.
constexpr size_t kReadBuffer = 64 * 1024;
struct ReadBufferTag {};

using ShutdownReq = UvRequest<uv_shutdown_t>;

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

std::string peerOf(uv_tcp_t* tcp) {
  struct sockaddr_storage ss {};
  int len = sizeof ss;
  if (uv_tcp_getpeername(tcp, reinterpret_cast<struct sockaddr*>(&ss), &len) != 0) return "";
  return formatAddress(reinterpret_cast<struct sockaddr*>(&ss));
}

void setPort(struct sockaddr_storage* ss, uint16_t port) {
  if (ss->ss_family == AF_INET) reinterpret_cast<struct sockaddr_in*>(ss)->sin_port = htons(port);
  if (ss->ss_family == AF_INET6) reinterpret_cast<struct sockaddr_in6*>(ss)->sin6_port = htons(port);
}

}  // namespace

// A write in flight. It holds the stream's `alive` flag: a write whose stream was destroyed first answers nobody.
struct TcpStream::WriteData {
  std::shared_ptr<bool> alive;
  TcpStream* owner = nullptr;
  std::function<void(int)> done;
  ByteBuffer owned;  // writeOwned(): the bytes, kept until they are sent
};

TcpStream::TcpStream(Loop& loop, Handler* handler) : loop_(loop), handler_(handler) {}

TcpStream::~TcpStream() {
  *alive_ = false;
  state_ = State::Closed;
  closeHandles(false);
}

void TcpStream::startConnect(const ConnectOptions& options) {
  client_ = true;
  host_ = bareHost(options.host);
  port_ = options.port;
  endpoint_ = endpointName(host_, port_);
  connect_timeout_ = options.connect_timeout;
  if (connect_timeout_.count() > 0 &&
      timer_.init(this, [this](uv_timer_t* t) { return uv_timer_init(loop_.get(), t); }) == 0) {
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
  resolve();
}

void TcpStream::resolve() {
  state_ = State::Resolving;
  struct addrinfo hints {};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_ADDRCONFIG;
  auto req = ResolveReq::make(Back{this});
  ResolveReq* in_flight = req.get();
  int rc = ResolveReq::start(req, [&](uv_getaddrinfo_t* r) {
    return uv_getaddrinfo(loop_.get(), r, &TcpStream::onResolved, host_.c_str(), nullptr, &hints);
  });
  if (rc < 0) {
    failLater(Error{"cannot resolve " + host_ + ": " + uvMessage(rc), rc});
    return;
  }
  resolve_ = in_flight;
}

void TcpStream::onResolved(uv_getaddrinfo_t* req, int status, struct addrinfo* res) noexcept {
  auto own = ResolveReq::adopt(req);  // frees `res` with the request
  TcpStream* self = own->owner;
  if (self == nullptr) return;
  self->resolve_ = nullptr;
  self->resolved(status, res);
}

void TcpStream::resolved(int status, struct addrinfo* res) {
  if (status < 0) {
    fail(Error{"cannot resolve " + host_ + ": " + uvMessage(status), status});
    return;
  }
  for (struct addrinfo* ai = res; ai != nullptr; ai = ai->ai_next) {
    if (ai->ai_family != AF_INET && ai->ai_family != AF_INET6) continue;
    struct sockaddr_storage ss {};
    std::memcpy(&ss, ai->ai_addr, ai->ai_addrlen);
    setPort(&ss, port_);
    addrs_.push_back(ss);
  }
  state_ = State::Connecting;
  if (int err = connectNext(); err < 0) {
    fail(Error{"connect to " + endpoint_ + " failed: " + uvMessage(err), err});
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
    auto req = ConnectReq::make(Back{this});
    ConnectReq* in_flight = req.get();
    rc = ConnectReq::start(req, [&](uv_connect_t* r) {
      return uv_tcp_connect(r, tcp_.get(), addr, &TcpStream::onConnect);
    });
    if (rc == 0) {
      connect_ = in_flight;
      return 0;
    }
    err = last_error_ = rc;
  }
  return err;
}

void TcpStream::onConnect(uv_connect_t* req, int status) noexcept {
  auto own = ConnectReq::adopt(req);
  TcpStream* self = own->owner;
  if (self == nullptr) return;
  self->connect_ = nullptr;
  self->connected(status);
}

void TcpStream::connected(int status) {
  if (status < 0) {
    last_error_ = status;
    if (next_addr_ < addrs_.size() && connectNext() == 0) return;
    fail(Error{"connect to " + endpoint_ + " failed: " + uvMessage(last_error_), last_error_});
    return;
  }
  peer_ = peerOf(tcp_.get());
  becomeOpen();
}

Status TcpStream::startAccept(uv_stream_t* listener) {
  int rc = tcp_.init(this, [this](uv_tcp_t* t) { return uv_tcp_init(loop_.get(), t); });
  if (rc < 0) return Error{"cannot accept: " + uvMessage(rc), rc};
  rc = uv_accept(listener, tcp_.stream());
  if (rc < 0) {
    state_ = State::Closed;
    tcp_.close();
    return Error{"cannot accept: " + uvMessage(rc), rc};
  }
  uv_tcp_nodelay(tcp_.get(), 1);
  peer_ = peerOf(tcp_.get());
  endpoint_ = peer_;
  state_ = State::Open;
  startReading();
  return {};
}

void TcpStream::startReading() {
  if (!tcp_ || paused_) return;
  uv_read_start(tcp_.stream(), &TcpStream::onAlloc, &TcpStream::onRead);
}

void TcpStream::becomeOpen() {
  timer_.close();
  state_ = State::Open;
  startReading();
  // Writes made while connecting go first, so anything the handler writes now lands after them.
  for (auto& w : queued_.take()) submit(w.bufs.data(), w.bufs.size(), std::move(w.done), {});
  if (state_ != State::Open) return;
  if (client_ && handler_ != nullptr) handler_->onStreamConnected();
}

void TcpStream::onAlloc(uv_handle_t*, size_t, uv_buf_t* buf) noexcept {
  buf->base = threadBuffer<ReadBufferTag, kReadBuffer>();
  buf->len = buf->base != nullptr ? kReadBuffer : 0;  // 0: libuv reports UV_ENOBUFS to onRead
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
  if (self->handler_ != nullptr) self->handler_->onStreamData(buf->base, static_cast<size_t>(nread));
}

void TcpStream::submit(const uv_buf_t* bufs, size_t count, std::function<void(int)> done, ByteBuffer owned) {
  // The caller's buffers go to the kernel as they are.
  auto req = WriteReq::make(WriteData{alive_, this, std::move(done), std::move(owned)});
  int rc = WriteReq::start(req, [&](uv_write_t* r) {
    return uv_write(r, tcp_.stream(), bufs, static_cast<unsigned>(count), &TcpStream::onWrite);
  });
  if (rc == 0) {
    for (size_t i = 0; i < count; ++i) socket_bytes_ += bufs[i].len;
    return;
  }
  if (req->done) postWhileAlive(loop_, alive_, [cb = std::move(req->done), rc] { cb(rc); });
  failLater(Error{"write to " + endpoint_ + " failed: " + uvMessage(rc), rc});
}

void TcpStream::onWrite(uv_write_t* r, int status) noexcept {
  auto req = WriteReq::adopt(r);
  if (!*req->alive) return;  // the stream was destroyed, and with it whoever was waiting
  TcpStream* self = req->owner;
  if (req->done) req->done(status);
  if (!*req->alive) return;
  if (status < 0 && status != UV_ECANCELED && self->state_ != State::Closed) {
    self->fail(Error{"write to " + self->endpoint_ + " failed: " + uvMessage(status), status});
  }
}

void TcpStream::write(const uv_buf_t* bufs, size_t count, std::function<void(int status)> done) {
  if (answerWithoutWriting(loop_, alive_, state_ == State::Closed, count, done)) return;
  if (state_ != State::Open) {
    queued_.push(bufs, count, std::move(done));
    return;
  }
  submit(bufs, count, std::move(done), {});
}

void TcpStream::writeOwned(ByteBuffer data, std::function<void(int status)> done) {
  if (state_ != State::Open) {
    if (done) postWhileAlive(loop_, alive_, [done = std::move(done)] { done(UV_ECANCELED); });
    return;
  }
  uv_buf_t buf = uv_buf_init(data.data(), static_cast<unsigned>(data.size()));
  submit(&buf, 1, std::move(done), std::move(data));
}

bool TcpStream::tryWrite(std::string data) {
  if (!tcp_ || uv_is_closing(tcp_.handle()) || uv_stream_get_write_queue_size(tcp_.stream()) != 0) return false;
  uv_buf_t buf = uv_buf_init(data.data(), static_cast<unsigned>(data.size()));
  return uv_try_write(tcp_.stream(), &buf, 1) == static_cast<int>(data.size());
}

size_t TcpStream::pendingWriteBytes() const {
  size_t n = queued_.bytes();
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
  if (state_ == State::Open) startReading();
}

void TcpStream::onTimer(uv_timer_t* timer) noexcept {
  auto* self = ownerOf<TcpStream>(timer);
  if (self == nullptr || self->state_ == State::Closed) return;
  if (self->shutdown_done_) {
    self->close();  // the peer did not close its side in time
    return;
  }
  self->fail(timedOut("connect to ", self->endpoint_, self->connect_timeout_));
}

void TcpStream::close(bool reset) {
  if (state_ == State::Closed) return;
  state_ = State::Closed;
  closeHandles(reset);
  queued_.cancel(loop_, alive_);
  finishShutdown();
}

void TcpStream::shutdown(std::chrono::milliseconds timeout, std::function<void()> done) {
  handler_ = nullptr;
  finish(timeout, std::move(done));
}

void TcpStream::finish(std::chrono::milliseconds timeout, std::function<void()> done) {
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
  // FIN once the pending writes are out; the request is freed by its callback whatever happens to the handle.
  auto req = ShutdownReq::make();
  if (ShutdownReq::start(req, [&](uv_shutdown_t* r) { return uv_shutdown(r, tcp_.stream(), &onShutdown); }) != 0) {
    close();
    return;
  }
  paused_ = false;
  startReading();
  if (timer_.init(this, [this](uv_timer_t* t) { return uv_timer_init(loop_.get(), t); }) == 0) {
    auto ms = static_cast<uint64_t>(std::max<int64_t>(timeout.count(), 1));
    uv_timer_start(timer_.get(), &TcpStream::onTimer, ms, 0);
  }
}

void TcpStream::onShutdown(uv_shutdown_t* req, int) noexcept { ShutdownReq::adopt(req); }

void TcpStream::finishShutdown() {
  if (!shutdown_done_) return;
  postWhileAlive(loop_, alive_, std::exchange(shutdown_done_, nullptr));
}

void TcpStream::fail(Error why) {
  if (state_ == State::Closed) return;
  state_ = State::Closed;
  queued_.cancel(loop_, alive_);
  finishShutdown();  // a graceful shutdown ends here: the peer closed its side (EOF) or the connection broke
  // The handler hears of it before the socket closes, so that a layer on top (TLS) can still send its last word.
  auto alive = alive_;
  if (handler_ != nullptr) handler_->onStreamClosed(why);
  if (*alive) closeHandles(false);
}

void TcpStream::failLater(Error why) {
  postWhileAlive(loop_, alive_, [this, why = std::move(why)] {
    fail(why);  // a no-op when the owner closed the stream meanwhile
  });
}

void TcpStream::closeHandles(bool reset) {
  timer_.close();
  if (resolve_ != nullptr) {
    // The resolver runs on the thread pool; its callback still comes (UV_EAI_CANCELED) and frees the request.
    resolve_->owner = nullptr;
    uv_cancel(reinterpret_cast<uv_req_t*>(resolve_->req()));
    resolve_ = nullptr;
  }
  if (connect_ != nullptr) {
    connect_->owner = nullptr;  // closing the handle cancels it
    connect_ = nullptr;
  }
  if (reset) {
    tcp_.closeReset();
  } else {
    tcp_.close();
  }
}

}  // namespace sluice
