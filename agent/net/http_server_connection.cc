// One accepted connection of an HttpServer, its life and the requests arriving on it: llhttp's callbacks, one
// request at a time handed to the handler, the timers, and the ways it ends. What it writes back is in
// http_server_response.cc.
#include "agent/net/http_server_connection.h"

#include "agent/net/llhttp_settings.h"

namespace sluice {

namespace {

// Holds a stream until the next loop turn: the connection may be destroyed inside one of the stream's callbacks.
struct StreamGrave : Deletable {
  explicit StreamGrave(std::unique_ptr<Stream> s) : stream(std::move(s)) {}
  std::unique_ptr<Stream> stream;
};

constexpr char kContinue[] = "HTTP/1.1 100 Continue\r\n\r\n";
// Bytes of following requests buffered while one is handled, before reading pauses.
constexpr size_t kMaxPipelined = 64 * 1024;

}  // namespace


struct ServerParserCallbacks : HeaderCallbacks<ServerParserCallbacks> {
  static HttpServerConnection* self(llhttp_t* p) { return static_cast<HttpServerConnection*>(p->data); }

  static bool overHeaderLimit(HttpServerConnection* c, size_t n) {
    if (c->server_ != nullptr && !c->head_parts_.count(n, c->server_->options.max_header_bytes)) {
      c->reject_status_ = 431;
      c->reject_reason_ = "request header too large";
      return true;
    }
    return false;
  }

  static int onMessageBegin(llhttp_t* p) {
    auto* c = self(p);
    c->request_ = HttpServerRequest{};
    c->request_.peer = c->peer_;
    c->head_parts_.reset();
    c->message_done_ = false;
    if (c->phase_ == HttpServerConnection::Phase::Idle && c->server_ != nullptr) {
      c->phase_ = HttpServerConnection::Phase::Reading;
      c->startTimer(c->server_->options.request_timeout);
    }
    return 0;
  }
  static int onUrl(llhttp_t* p, const char* at, size_t n) {
    auto* c = self(p);
    if (overHeaderLimit(c, n)) return HPE_USER;
    c->request_.target.append(at, n);
    return 0;
  }
  static int onHeadersComplete(llhttp_t* p) {
    auto* c = self(p);
    if (c->server_ == nullptr) return -1;
    auto& r = c->request_;
    r.method = llhttp_method_name(static_cast<llhttp_method_t>(p->method));
    c->http10_ = p->http_major == 1 && p->http_minor == 0;
    c->head_ = p->method == HTTP_HEAD;
    r.upgrade = r.header("Upgrade") != nullptr && headerHasToken(r.header("Connection"), "upgrade");
    if ((p->flags & F_CONTENT_LENGTH) != 0 && p->content_length > c->server_->options.max_body) {
      // Refuse before the body arrives: no point receiving megabytes we will not keep.
      c->reject_status_ = 413;
      c->reject_reason_ = "request body too large";
      return -1;
    }
    bool has_body = (p->flags & F_CHUNKED) != 0 || ((p->flags & F_CONTENT_LENGTH) != 0 && p->content_length > 0);
    const std::string* expect = r.header("Expect");
    if (has_body && !c->http10_ && expect != nullptr && equalsNoCase(*expect, "100-continue")) {
      // curl waits a second for this before sending a large body.
      uv_buf_t b = uv_buf_init(const_cast<char*>(kContinue), sizeof kContinue - 1);
      c->stream_->write(&b, 1, nullptr);
    }
    return 0;
  }
  static int onBody(llhttp_t* p, const char* at, size_t n) {
    auto* c = self(p);
    if (c->server_ == nullptr) return HPE_USER;
    if (c->request_.body.size() + n > c->server_->options.max_body) {
      c->reject_status_ = 413;
      c->reject_reason_ = "request body too large";
      return HPE_USER;
    }
    c->request_.body.append(at, n);
    return 0;
  }
  static int onMessageComplete(llhttp_t* p) {
    self(p)->message_done_ = true;
    return HPE_PAUSED;  // one request at a time: what follows waits until this one is answered
  }

  // For the header callbacks (HeaderCallbacks).
  static constexpr int kHeadTooLarge = HPE_USER;
  static bool headFits(llhttp_t* p, size_t n) { return !overHeaderLimit(self(p), n); }
  static HeadCollector& headParts(llhttp_t* p) { return self(p)->head_parts_; }
  static std::vector<HttpHeader>& headers(llhttp_t* p) { return self(p)->request_.headers; }
};

HttpServerConnection::HttpServerConnection(HttpServer::Impl& server, Loop& loop) : server_(&server), loop_(loop) {
  llhttp_init(&parser_, HTTP_REQUEST, llhttpSettings<ServerParserCallbacks>());
  parser_.data = this;
}

HttpServerConnection::~HttpServerConnection() {
  if (stream_) {
    stream_->close(false);
    loop_.deferDelete(std::make_unique<StreamGrave>(std::move(stream_)));
  }
}

Status HttpServerConnection::accept(uv_stream_t* listener) {
  auto stream = Stream::accept(loop_, listener, server_->options.tls, this);
  if (!stream) return stream.takeError();
  adopt(std::move(stream).value());
  return {};
}

void HttpServerConnection::adopt(std::unique_ptr<Stream> stream) {
  stream_ = std::move(stream);
  peer_ = stream_->peerAddress();
  waiting_since_ms_ = uv_now(loop_.get());
  startTimer(server_->options.idle_timeout);
}

std::optional<uint64_t> HttpServerConnection::waitingSinceMs() const {
  if (phase_ != Phase::Idle && phase_ != Phase::Reading) return std::nullopt;
  return waiting_since_ms_;
}

void HttpServerConnection::startTimer(std::chrono::milliseconds after) {
  if (!timer_ && timer_.init(this, [this](uv_timer_t* t) { return uv_timer_init(loop_.get(), t); }) < 0) return;
  uv_timer_start(timer_.get(), &HttpServerConnection::onTimer, static_cast<uint64_t>(after.count()), 0);
}

void HttpServerConnection::onTimer(uv_timer_t* timer) noexcept {
  auto* raw = ownerOf<HttpServerConnection>(timer);
  if (raw == nullptr) return;
  auto self = raw->shared_from_this();
  if (self->phase_ == Phase::Idle || self->phase_ == Phase::Closing) {
    // An idle keep-alive connection, or a last response the peer does not read: just close it.
    self->close(false, true, false);
  } else if (self->phase_ == Phase::Reading) {
    self->reject(408, "request not received in time");
  }
}

void HttpServerConnection::onStreamData(const char* data, size_t len) noexcept {
  auto self = shared_from_this();
  if (phase_ == Phase::Idle || phase_ == Phase::Reading) {
    if (!resume_posted_ && in_.empty()) {
      parse(data, len);
      return;
    }
  }
  if (phase_ == Phase::Closing || phase_ == Phase::Closed) return;
  // A request is being handled: keep what follows for later (pipelining, or a client that does not wait).
  in_.append(data, len);
  if (in_.size() > kMaxPipelined) stream_->pauseReading();
}

void HttpServerConnection::parse(const char* data, size_t len) {
  llhttp_errno_t err = llhttp_execute(&parser_, data, len);
  if (err == HPE_OK) return;
  if ((err == HPE_PAUSED || err == HPE_PAUSED_UPGRADE) && message_done_) {
    const char* stop = llhttp_get_error_pos(&parser_);
    size_t consumed = stop != nullptr ? static_cast<size_t>(stop - data) : len;
    if (consumed < len) in_.assign(data + consumed, len - consumed);
    if (err == HPE_PAUSED_UPGRADE) {
      llhttp_resume_after_upgrade(&parser_);
    } else {
      llhttp_resume(&parser_);
    }
    message_done_ = false;  // a later pause is another message's, not this one's again
    dispatch();
    return;
  }
  if (reject_status_ != 0) {
    reject(reject_status_, reject_reason_);
  } else {
    reject(400, "malformed request");
  }
}

void HttpServerConnection::dispatch() {
  if (server_ == nullptr) return;
  phase_ = Phase::Handling;
  if (timer_) uv_timer_stop(timer_.get());
  // Reading goes on while the handler works (bytes that follow are buffered, up to kMaxPipelined): a held
  // request or a stream must notice when the peer leaves.
  // An upgrade not taken over leaves the connection in an unknown protocol state: answer, then close.
  // llhttp's own verdict counts too: it takes an upgrade from any of several Connection headers.
  keep_alive_ = llhttp_should_keep_alive(&parser_) != 0 && !request_.upgrade && parser_.upgrade == 0;
  request_.keep_alive = keep_alive_;
  on_close_ = nullptr;
  HttpResponder responder(weak_from_this(), ++request_id_);
  HttpServerRequest request = std::move(request_);
  request_ = HttpServerRequest{};
  std::shared_ptr<HttpServer::Handler> handler = server_->handler;
  (*handler)(std::move(request), std::move(responder));
}

void HttpServerConnection::resumeRequests() {
  resume_posted_ = false;
  if (phase_ != Phase::Idle) return;
  if (!in_.empty()) {
    std::string pending = std::move(in_);
    in_.clear();
    parse(pending.data(), pending.size());
  }
  if ((phase_ == Phase::Idle || phase_ == Phase::Reading) && stream_) stream_->resumeReading();
}

void HttpServerConnection::abort(uint64_t id, bool reset) {
  if (id != request_id_ || (phase_ != Phase::Handling && phase_ != Phase::Streaming)) return;
  close(reset, true, false);
}

void HttpServerConnection::closeAfterWrite() {
  if (phase_ != Phase::Closing) return;
  close(false, false, false);
}

void HttpServerConnection::close(bool reset, bool notify, bool detach) {
  if (phase_ == Phase::Closed) {
    if (detach) server_ = nullptr;
    return;
  }
  phase_ = Phase::Closed;
  timer_.close();
  if (stream_) stream_->close(reset);
  std::function<void()> on_close = std::move(on_close_);
  on_close_ = nullptr;
  if (detach) {
    server_ = nullptr;
    return;
  }
  if (notify && on_close && server_ != nullptr) {
    loop_.post([alive = std::weak_ptr<bool>(server_->alive), on_close = std::move(on_close)] {
      if (auto a = alive.lock()) on_close();
    });
  }
  gone();
}

void HttpServerConnection::onStreamClosed(const Error&) noexcept {
  auto self = shared_from_this();
  if (phase_ == Phase::Closed) return;
  phase_ = Phase::Closed;
  timer_.close();
  std::function<void()> on_close = std::move(on_close_);
  on_close_ = nullptr;
  if (on_close) on_close();
  gone();
}

void HttpServerConnection::gone() {
  if (server_ == nullptr) return;
  HttpServer::Impl* server = server_;
  server_ = nullptr;
  server->connectionGone(this);  // may drop the last owning reference: callers hold their own
}

}  // namespace sluice
