#include "agent/net/tls_stream.h"

#include <algorithm>
#include <cstring>

#include "agent/core/thread_buffer.h"
#include "agent/core/units.h"

namespace sluice {

namespace {

// Plaintext is decrypted into one buffer per thread: it is delivered before the next read starts.
constexpr size_t kPlainBuffer = 64 * 1024;
struct PlainBufferTag {};
// Small writes are staged up to one full TLS record so that a request head and its body share records.
constexpr size_t kRecord = TlsSession::kRecordBytes;
struct StageTag {};

}  // namespace

std::unique_ptr<TlsStream> TlsStream::connect(Loop& loop, const ConnectOptions& options,
                                              Stream::Handler* handler) {
  auto stream = std::make_unique<TlsStream>(loop, handler, std::make_unique<TcpStream>(loop, nullptr));
  stream->startConnect(options);
  return stream;
}

Result<std::unique_ptr<TlsStream>> TlsStream::accept(Loop& loop, std::unique_ptr<TcpStream> tcp,
                                                     std::shared_ptr<TlsContext> tls, Stream::Handler* handler) {
  auto session = TlsSession::server(*tls);
  if (!session) {
    tcp->close();
    return Error{"TLS setup failed: " + session.error().message};
  }
  auto stream = std::make_unique<TlsStream>(loop, handler, std::move(tcp));
  stream->endpoint_ = stream->tcp_->endpoint();
  stream->ctx_ = std::move(tls);
  stream->tls_ = std::move(session).value();
  stream->state_ = State::Handshaking;  // the client speaks first
  return stream;
}

TlsStream::TlsStream(Loop& loop, Stream::Handler* handler, std::unique_ptr<TcpStream> tcp)
    : loop_(loop), handler_(handler), tcp_(std::move(tcp)) {
  tcp_->setHandler(this);
}

TlsStream::~TlsStream() {
  *alive_ = false;
  if (state_ != State::Closed) {
    state_ = State::Closed;
    closeTcp(false);
  }
}

void TlsStream::startConnect(const ConnectOptions& options) {
  endpoint_ = endpointName(options.host, options.port);
  connect_timeout_ = options.connect_timeout;
  ctx_ = options.tls;
  std::string name = options.server_name.empty() ? bareHost(options.host) : options.server_name;
  auto session = TlsSession::client(*ctx_, name);
  if (!session) {
    failLater(Error{"TLS setup for " + endpoint_ + " failed: " + session.error().message});
    return;
  }
  tls_ = std::move(session).value();
  if (connect_timeout_.count() > 0 &&
      timer_.init(this, [this](uv_timer_t* t) { return uv_timer_init(loop_.get(), t); }) == 0) {
    uv_timer_start(timer_.get(), &TlsStream::onTimer, static_cast<uint64_t>(connect_timeout_.count()), 0);
  }
  ConnectOptions tcp = options;
  tcp.tls = nullptr;
  tcp.connect_timeout = std::chrono::milliseconds(0);  // this layer's timer covers the connect and the handshake
  tcp_->startConnect(tcp);
}

void TlsStream::onStreamConnected() noexcept {
  if (state_ != State::Connecting) return;
  state_ = State::Handshaking;
  pump();  // sends the ClientHello
}

void TlsStream::onStreamData(const char* data, size_t len) noexcept {
  if (state_ == State::Closed) return;
  tls_->feed(data, len);
  pump();
}

void TlsStream::onStreamClosed(const Error& why) noexcept { fail(why); }

void TlsStream::pump() {
  if (state_ == State::Handshaking) {
    auto done = tls_->handshake();
    if (!done) {
      fail(Error{"TLS handshake with " + endpoint_ + " failed: " + done.error().message, UV_EPROTO});
      return;
    }
    flush();
    if (!*done) return;
    auto alive = alive_;
    becomeOpen();
    if (!*alive || state_ != State::Open) return;
  }
  drain();
}

void TlsStream::becomeOpen() {
  timer_.close();
  state_ = State::Open;
  // While handshaking the TCP stream reads even when the owner paused: the handshake cannot finish otherwise.
  if (paused_) tcp_->pauseReading();
  // Writes made while connecting go first, so anything the handler writes now lands after them.
  for (auto& w : queued_.take()) submit(w.bufs.data(), w.bufs.size(), std::move(w.done));
  if (state_ != State::Open) return;
  if (handler_ != nullptr) handler_->onStreamConnected();
}

void TlsStream::drain() {
  auto alive = alive_;
  char* plain = threadBuffer<PlainBufferTag, kPlainBuffer>();
  if (plain == nullptr) {
    fail(Error{"out of memory reading from " + endpoint_, UV_ENOBUFS});
    return;
  }
  while (state_ == State::Open && !paused_) {
    auto got = tls_->read(plain, kPlainBuffer);
    if (!got) {
      fail(Error{"TLS error on " + endpoint_ + ": " + got.error().message, UV_EPROTO});
      return;
    }
    if (*got == 0) break;
    if (handler_ != nullptr) handler_->onStreamData(plain, *got);
    if (!*alive) return;
  }
  if (state_ != State::Open) return;
  flush();  // session tickets, key updates, alerts
  if (tls_->peerClosed() && !paused_) fail(Error{"connection closed by " + endpoint_, UV_EOF});
}

void TlsStream::flush() {
  const size_t len = tls_->pendingOutput();
  if (len == 0) return;
  ByteBuffer records(len);
  tls_->takeOutput(records);
  tcp_->writeOwned(std::move(records), nullptr);
}

Status TlsStream::encrypt(const uv_buf_t* bufs, size_t count, ByteBuffer& out) {
  // The session writes its records straight to the end of `out`.
  auto put = [&](const char* p, size_t n) -> Status { return tls_->writeTo(p, n, out); };
  char* stage = threadBuffer<StageTag, kRecord>();
  if (stage == nullptr) return makeError("out of memory encrypting for " + endpoint_, UV_ENOBUFS);
  size_t staged = 0;
  for (size_t i = 0; i < count; ++i) {
    const char* p = bufs[i].base;
    size_t n = bufs[i].len;
    while (n > 0) {
      if (staged == 0 && n >= kRecord) {
        size_t whole = n - n % kRecord;
        if (auto st = put(p, whole); !st) return st;
        p += whole;
        n -= whole;
        continue;
      }
      size_t take = std::min(n, kRecord - staged);
      std::memcpy(stage + staged, p, take);
      staged += take;
      p += take;
      n -= take;
      if (staged == kRecord) {
        if (auto st = put(stage, staged); !st) return st;
        staged = 0;
      }
    }
  }
  if (staged > 0) return put(stage, staged);
  return {};
}

void TlsStream::submit(const uv_buf_t* bufs, size_t count, std::function<void(int)> done) {
  // The plaintext is encrypted at once, so the caller's memory is not read after this call.
  size_t plain = 0;
  for (size_t i = 0; i < count; ++i) plain += bufs[i].len;
  ByteBuffer out(tls_->pendingOutput() + TlsSession::sealedBytes(plain));
  tls_->takeOutput(out);  // what the session had ready (a key update) goes first
  Status st = encrypt(bufs, count, out);
  if (!st) {
    if (done) postWhileAlive(loop_, alive_, [done = std::move(done)] { done(UV_EPROTO); });
    failLater(Error{"TLS error on " + endpoint_ + ": " + st.error().message, UV_EPROTO});
    return;
  }
  tcp_->writeOwned(std::move(out), std::move(done));
}

void TlsStream::write(const uv_buf_t* bufs, size_t count, std::function<void(int status)> done) {
  if (answerWithoutWriting(loop_, alive_, state_ == State::Closed, count, done)) return;
  if (state_ != State::Open) {
    queued_.push(bufs, count, std::move(done));
    return;
  }
  submit(bufs, count, std::move(done));
}

int64_t TlsStream::socketBytesAcknowledged() const {
  return state_ == State::Open ? tcp_->socketBytesAcknowledged() : -1;
}

void TlsStream::pauseReading() {
  paused_ = true;
  if (state_ == State::Open) tcp_->pauseReading();
}

void TlsStream::resumeReading() {
  if (!paused_) return;
  paused_ = false;
  if (state_ != State::Open) return;
  tcp_->resumeReading();
  // The session may hold records decrypted-but-undelivered from before the pause; deliver them on a later turn.
  if (drain_posted_) return;
  drain_posted_ = true;
  postWhileAlive(loop_, alive_, [this] {
    drain_posted_ = false;
    if (state_ == State::Open && !paused_) drain();
  });
}

void TlsStream::onTimer(uv_timer_t* timer) noexcept {
  auto* self = ownerOf<TlsStream>(timer);
  if (self == nullptr || self->state_ == State::Closed) return;
  const bool handshaking = self->state_ == State::Handshaking;
  self->fail(timedOut(handshaking ? "TLS handshake with " : "connect to ", self->endpoint_, self->connect_timeout_));
}

void TlsStream::close(bool reset) {
  if (state_ == State::Closed) return;
  state_ = State::Closed;
  closeTcp(reset);
  queued_.cancel(loop_, alive_);
}

void TlsStream::shutdown(std::chrono::milliseconds timeout, std::function<void()> done) {
  handler_ = nullptr;
  if (state_ == State::Open && !shutting_down_) {
    // close_notify goes ahead of the FIN; then the TCP stream reads until the peer ends (its close_notify or
    // its FIN) or `timeout` passes. What the peer sends meanwhile is decrypted and dropped.
    shutting_down_ = true;
    paused_ = false;
    tls_->shutdown();
    flush();
    tcp_->finish(timeout, std::move(done));
    return;
  }
  if (state_ == State::Open) {
    tcp_->shutdown(timeout, std::move(done));  // a second shutdown(): this `done` replaces the first, at once
    close();
    return;
  }
  // Not up: nothing was delivered over it that the peer could still be reading.
  close();
  if (done) postWhileAlive(loop_, alive_, std::move(done));
}

void TlsStream::fail(Error why) {
  if (state_ == State::Closed) return;
  state_ = State::Closed;
  closeTcp(false);  // a graceful shutdown ends here too: the TCP stream runs its `done`
  queued_.cancel(loop_, alive_);
  if (handler_ != nullptr) handler_->onStreamClosed(why);
}

void TlsStream::failLater(Error why) {
  postWhileAlive(loop_, alive_, [this, why = std::move(why)] {
    fail(why);  // a no-op when the owner closed the stream meanwhile
  });
}

void TlsStream::closeTcp(bool reset) {
  timer_.close();
  if (!reset && tls_) {
    // close_notify (or a pending alert) is best effort: sent only if the socket takes it right now, because
    // closing the socket would cancel a queued write anyway.
    if (tls_->handshakeDone()) tls_->shutdown();
    if (tls_->pendingOutput() > 0) tcp_->tryWrite(tls_->takeOutput());
  }
  tcp_->close(reset);
}

}  // namespace sluice
