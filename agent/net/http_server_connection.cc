#include "agent/net/http_server_connection.h"

#include <strings.h>

#include <cstdio>
#include <ctime>

namespace sluice {

namespace {

bool equalsNoCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && strncasecmp(a.data(), b.data(), a.size()) == 0;
}

// True when the comma-separated header value lists `token` (Connection: keep-alive, Upgrade).
bool hasToken(const std::string* value, std::string_view token) {
  if (value == nullptr) return false;
  std::string_view v = *value;
  while (!v.empty()) {
    size_t comma = v.find(',');
    std::string_view item = v.substr(0, comma);
    while (!item.empty() && (item.front() == ' ' || item.front() == '\t')) item.remove_prefix(1);
    while (!item.empty() && (item.back() == ' ' || item.back() == '\t')) item.remove_suffix(1);
    if (equalsNoCase(item, token)) return true;
    if (comma == std::string_view::npos) break;
    v.remove_prefix(comma + 1);
  }
  return false;
}

// Holds a stream until the next loop turn: the connection may be destroyed inside one of the stream's callbacks.
struct StreamGrave : Deletable {
  explicit StreamGrave(std::unique_ptr<Stream> s) : stream(std::move(s)) {}
  std::unique_ptr<Stream> stream;
};

constexpr char kContinue[] = "HTTP/1.1 100 Continue\r\n\r\n";
constexpr char kCrlf[] = "\r\n";
// Bytes of following requests buffered while one is handled, before reading pauses.
constexpr size_t kMaxPipelined = 64 * 1024;

}  // namespace

const std::string& httpDate() {
  thread_local std::string cached;
  thread_local time_t cached_at = -1;
  time_t now = time(nullptr);
  if (now != cached_at) {
    struct tm tm {};
    gmtime_r(&now, &tm);
    char buf[64];
    strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);  // the C locale's names are HTTP's
    cached = buf;
    cached_at = now;
  }
  return cached;
}

struct ServerParserCallbacks {
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
  static int onHeaderField(llhttp_t* p, const char* at, size_t n) {
    auto* c = self(p);
    if (overHeaderLimit(c, n)) return HPE_USER;
    c->head_parts_.name(at, n);
    return 0;
  }
  static int onHeaderValue(llhttp_t* p, const char* at, size_t n) {
    auto* c = self(p);
    if (overHeaderLimit(c, n)) return HPE_USER;
    c->head_parts_.value(at, n);
    return 0;
  }
  static int onHeaderValueComplete(llhttp_t* p) {
    auto* c = self(p);
    c->head_parts_.complete(c->request_.headers);
    return 0;
  }
  static int onHeadersComplete(llhttp_t* p) {
    auto* c = self(p);
    if (c->server_ == nullptr) return -1;
    auto& r = c->request_;
    r.method = llhttp_method_name(static_cast<llhttp_method_t>(p->method));
    c->http10_ = p->http_major == 1 && p->http_minor == 0;
    c->head_ = p->method == HTTP_HEAD;
    r.upgrade = r.header("Upgrade") != nullptr && hasToken(r.header("Connection"), "upgrade");
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

  static const llhttp_settings_t* settings() {
    static const llhttp_settings_t s = [] {
      llhttp_settings_t t;
      llhttp_settings_init(&t);
      t.on_message_begin = &onMessageBegin;
      t.on_url = &onUrl;
      t.on_header_field = &onHeaderField;
      t.on_header_value = &onHeaderValue;
      t.on_header_value_complete = &onHeaderValueComplete;
      t.on_headers_complete = &onHeadersComplete;
      t.on_body = &onBody;
      t.on_message_complete = &onMessageComplete;
      return t;
    }();
    return &s;
  }
};

HttpServerConnection::HttpServerConnection(HttpServer::Impl& server, Loop& loop) : server_(&server), loop_(loop) {
  llhttp_init(&parser_, HTTP_REQUEST, ServerParserCallbacks::settings());
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

std::string HttpServerConnection::responseHead(int status, const std::vector<HttpHeader>& headers, Framing framing,
                                               size_t length) {
  std::string head;
  head.reserve(160 + headers.size() * 48);
  head.append("HTTP/1.1 ").append(std::to_string(status)).append(" ").append(httpStatusText(status));
  head.append("\r\nDate: ").append(httpDate()).append("\r\n");
  for (const auto& h : headers) {
    if (equalsNoCase(h.name, "Date")) continue;
    if (framing == Framing::None) {
      // Taken over: the headers are the new protocol's business and go out as given.
      head.append(h.name).append(": ").append(h.value).append("\r\n");
      continue;
    }
    if (equalsNoCase(h.name, "Content-Length") || equalsNoCase(h.name, "Transfer-Encoding")) continue;
    if (equalsNoCase(h.name, "Connection")) {
      if (hasToken(&h.value, "close")) keep_alive_ = false;
      if (!hasToken(&h.value, "upgrade")) continue;  // written below, from keep_alive_
    }
    head.append(h.name).append(": ").append(h.value).append("\r\n");
  }
  bool bodiless = status < 200 || status == 204 || status == 304;
  if (framing == Framing::Chunked) {
    head.append("Transfer-Encoding: chunked\r\n");
  } else if (framing == Framing::Length && !bodiless) {
    head.append("Content-Length: ").append(std::to_string(length)).append("\r\n");
  }
  if (framing != Framing::None) {
    if (!keep_alive_) {
      head.append("Connection: close\r\n");
    } else if (http10_) {
      head.append("Connection: keep-alive\r\n");
    }
  }
  head.append("\r\n");
  return head;
}

void HttpServerConnection::send(std::string head, std::string body, bool close_after) {
  struct Out {
    std::string head;
    std::string body;
  };
  // The bytes live in the write's callback, so they outlive the write however the connection ends.
  auto out = std::make_shared<Out>(Out{std::move(head), std::move(body)});
  uv_buf_t bufs[2] = {uv_buf_init(out->head.data(), static_cast<unsigned>(out->head.size())),
                      uv_buf_init(out->body.data(), static_cast<unsigned>(out->body.size()))};
  size_t count = out->body.empty() ? 1 : 2;
  stream_->write(bufs, count, [out, weak = weak_from_this(), close_after](int) {
    if (!close_after) return;
    if (auto c = weak.lock()) c->closeAfterWrite();
  });
}

void HttpServerConnection::respond(uint64_t id, int status, std::vector<HttpHeader> headers, std::string body) {
  if (id != request_id_ || phase_ != Phase::Handling) return;
  std::string head = responseHead(status, headers, Framing::Length, body.size());
  if (head_ || status < 200 || status == 204 || status == 304) body.clear();
  send(std::move(head), std::move(body), !keep_alive_);
  finishResponse();
}

void HttpServerConnection::startStream(uint64_t id, int status, std::vector<HttpHeader> headers) {
  if (id != request_id_ || phase_ != Phase::Handling) return;
  send(responseHead(status, headers, Framing::Chunked, 0), std::string(), false);
  phase_ = Phase::Streaming;
}

void HttpServerConnection::write(uint64_t id, std::string chunk, std::function<void()> written) {
  if (id != request_id_ || phase_ != Phase::Streaming || chunk.empty()) {  // empty would end the body
    if (written) written();
    return;
  }
  struct Out {
    char size[24];
    std::string chunk;
    std::function<void()> written;
    ~Out() {
      if (written) written();
    }
  };
  // Owned by the write, like every response byte: plain TCP sends straight from this memory.
  auto out = std::make_shared<Out>();
  int n = snprintf(out->size, sizeof out->size, "%zx\r\n", chunk.size());
  out->chunk = std::move(chunk);
  out->written = std::move(written);
  uv_buf_t bufs[3] = {uv_buf_init(out->size, static_cast<unsigned>(n)),
                      uv_buf_init(out->chunk.data(), static_cast<unsigned>(out->chunk.size())),
                      uv_buf_init(const_cast<char*>(kCrlf), 2)};
  stream_->write(bufs, 3, [out](int) {});
}

void HttpServerConnection::end(uint64_t id) {
  if (id != request_id_ || phase_ != Phase::Streaming) return;
  static constexpr char kLast[] = "0\r\n\r\n";
  uv_buf_t b = uv_buf_init(const_cast<char*>(kLast), sizeof kLast - 1);
  bool close_after = !keep_alive_;
  stream_->write(&b, 1, [weak = weak_from_this(), close_after](int) {
    if (!close_after) return;
    if (auto c = weak.lock()) c->closeAfterWrite();
  });
  finishResponse();
}

void HttpServerConnection::finishResponse() {
  on_close_ = nullptr;
  if (!keep_alive_) {
    phase_ = Phase::Closing;  // closed once the response is written, or when the idle timeout gives up on it
    if (server_ != nullptr) startTimer(server_->options.idle_timeout);
    return;
  }
  phase_ = Phase::Idle;
  waiting_since_ms_ = uv_now(loop_.get());
  startTimer(server_ != nullptr ? server_->options.idle_timeout : std::chrono::milliseconds(0));
  // The next request (maybe already buffered) is handled on a later turn, never inside respond().
  if (!resume_posted_) {
    resume_posted_ = true;
    loop_.post([weak = weak_from_this()] {
      if (auto c = weak.lock()) c->resumeRequests();
    });
  }
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

void HttpServerConnection::reject(int status, const char* reason) {
  if (phase_ == Phase::Closing || phase_ == Phase::Closed) return;
  keep_alive_ = false;
  phase_ = Phase::Closing;
  if (server_ != nullptr) startTimer(server_->options.idle_timeout);
  stream_->pauseReading();
  std::string body = std::string(reason) + "\n";
  send(responseHead(status, {{"Content-Type", "text/plain"}}, Framing::Length, body.size()), std::move(body), true);
}

void HttpServerConnection::abort(uint64_t id, bool reset) {
  if (id != request_id_ || (phase_ != Phase::Handling && phase_ != Phase::Streaming)) return;
  close(reset, true, false);
}

size_t HttpServerConnection::pendingBytes() const { return stream_ ? stream_->pendingWriteBytes() : 0; }

void HttpServerConnection::onClose(uint64_t id, std::function<void()> fn) {
  if (id != request_id_ || phase_ == Phase::Closed) return;
  on_close_ = std::move(fn);
}

std::unique_ptr<Stream> HttpServerConnection::takeOver(uint64_t id, int status, std::vector<HttpHeader> headers,
                                                       Stream::Handler* handler, std::string* leftover) {
  if (id != request_id_ || phase_ != Phase::Handling || !stream_) return nullptr;
  send(responseHead(status, headers, Framing::None, 0), std::string(), false);
  if (leftover != nullptr) *leftover = std::move(in_);
  in_.clear();
  timer_.close();
  phase_ = Phase::Closed;
  on_close_ = nullptr;
  std::unique_ptr<Stream> stream = std::move(stream_);
  stream->setHandler(handler);
  stream->resumeReading();
  gone();
  return stream;
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
