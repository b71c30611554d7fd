#include "agent/net/http_client_connection.h"

#include <strings.h>

#include <algorithm>
#include <iterator>

#include "agent/core/units.h"
#include "agent/net/http_wire.h"
#include "agent/net/llhttp_settings.h"

namespace sluice {

namespace {
// A response head larger than this is not one a log drain sends; treat it as garbage rather than buffer it.
constexpr size_t kMaxResponseHead = 64 * 1024;

bool equalsNoCase(const std::string& a, const char* b) { return strcasecmp(a.c_str(), b) == 0; }
}  // namespace

struct ClientParserCallbacks : HeaderCallbacks<ClientParserCallbacks> {
  static HttpClientConnection* self(llhttp_t* p) { return static_cast<HttpClientConnection*>(p->data); }
  static constexpr int kHeadTooLarge = -1;
  static bool headFits(llhttp_t* p, size_t n) { return self(p)->head_parts_.count(n, kMaxResponseHead); }
  static HeadCollector& headParts(llhttp_t* p) { return self(p)->head_parts_; }
  static std::vector<HttpHeader>& headers(llhttp_t* p) { return self(p)->response_.headers; }

  static int onHeadersComplete(llhttp_t* p) {
    auto* c = self(p);
    c->response_.status = llhttp_get_status_code(p);
    if (c->response_.status < 100 || c->response_.status > 999) {
      // llhttp takes "HTTP/1.1 03 x" as status 3: not an answer to act on (a sink would reject the batch for it).
      c->parse_error_ = "status code is not 3 digits";  // llhttp's own reason for a callback error says nothing
      return -1;
    }
    // A HEAD response announces a body it does not carry.
    return c->head_request_ ? 1 : 0;
  }
  static int onBody(llhttp_t* p, const char* at, size_t n) {
    auto* c = self(p);
    size_t keep = c->pool_ != nullptr ? c->pool_->options.max_response_body : 0;
    auto& body = c->response_.body;
    if (body.size() < keep) body.append(at, std::min(n, keep - body.size()));
    c->response_.body_bytes += n;
    return 0;
  }
  static int onMessageComplete(llhttp_t* p) {
    auto* c = self(p);
    int status = c->response_.status;
    if (status >= 100 && status < 200 && status != 101) {
      // An interim answer (100 Continue): the real one follows on the same connection.
      c->response_ = HttpResponse{};
      c->head_parts_.reset();
      return 0;
    }
    c->response_done_ = true;
    return HPE_PAUSED;  // stop here: bytes after the response are not ours to parse
  }
};

HttpClientConnection::HttpClientConnection(HttpClient::Impl& pool) : pool_(&pool), loop_(pool.loop) {}

HttpClientConnection::~HttpClientConnection() = default;

void HttpClientConnection::connect() {
  const auto& o = pool_->options;
  Stream::ConnectOptions options;
  options.host = o.host;
  options.port = o.port;
  options.tls = o.tls;
  options.server_name = o.server_name;
  options.connect_timeout = o.connect_timeout;
  adopt(Stream::connect(loop_, options, this));
}

void HttpClientConnection::serializeHead(const HttpRequest& request) {
  // The same function the sinks' encoders use, so the bytes their tests check are the bytes sent.
  auto owned = [](const HttpHeader& h) {
    // These the client owns: a second copy would make the request ambiguous (request smuggling territory).
    return equalsNoCase(h.name, "Host") || equalsNoCase(h.name, "Content-Length") ||
           equalsNoCase(h.name, "Transfer-Encoding");
  };
  if (std::none_of(request.headers.begin(), request.headers.end(), owned)) {
    head_ = serializeRequestHead(request.method, request.target, pool_->host_header, request.headers,
                                 request.body.size());
    return;
  }
  std::vector<HttpHeader> headers;
  std::copy_if(request.headers.begin(), request.headers.end(), std::back_inserter(headers),
               [&](const HttpHeader& h) { return !owned(h); });
  head_ = serializeRequestHead(request.method, request.target, pool_->host_header, headers, request.body.size());
}

void HttpClientConnection::resetResponse() {
  response_ = HttpResponse{};
  head_parts_.reset();
  parse_error_ = nullptr;
  response_done_ = false;
  got_bytes_ = false;
  llhttp_init(&parser_, HTTP_RESPONSE, llhttpSettings<ClientParserCallbacks>());
  parser_.data = this;
}

void HttpClientConnection::start(PendingRequest request) {
  reused_ = state_ == State::Idle;
  state_ = State::Busy;
  current_ = std::move(request);
  write_done_ = false;
  head_request_ = current_->request.method == "HEAD";
  resetResponse();
  serializeHead(current_->request);
  uv_buf_t bufs[2];
  bufs[0] = uv_buf_init(head_.data(), static_cast<unsigned>(head_.size()));
  size_t count = 1;
  std::string_view body = current_->request.body;
  if (!body.empty()) {
    // The body goes out as the caller's bytes: no copy for plain TCP.
    bufs[1] = uv_buf_init(const_cast<char*>(body.data()), static_cast<unsigned>(body.size()));
    count = 2;
  }
  // A write error also closes the stream, which fails the request there; only completion matters here.
  stream_->write(bufs, count, [this](int) { write_done_ = true; });
  if (connected_) startTimer(pool_->options.request_timeout);
}

void HttpClientConnection::startTimer(std::chrono::milliseconds after) {
  if (!timer_ && timer_.init(this, [this](uv_timer_t* t) { return uv_timer_init(loop_.get(), t); }) < 0) return;
  uv_timer_start(timer_.get(), &HttpClientConnection::onTimer, static_cast<uint64_t>(after.count()), 0);
}

void HttpClientConnection::onTimer(uv_timer_t* timer) noexcept {
  auto* self = ownerOf<HttpClientConnection>(timer);
  if (self == nullptr || self->pool_ == nullptr) return;
  if (self->state_ == State::Busy) {
    self->failRequest(
        Error{"request timed out after " + formatDuration(self->pool_->options.request_timeout), UV_ETIMEDOUT});
  } else if (self->state_ == State::Idle) {
    self->closeStream(false);
    self->state_ = State::Closed;
    self->pool_->connectionGone(self);
  }
}

void HttpClientConnection::onStreamConnected() noexcept {
  connected_ = true;
  // The request timeout starts when the request can go out; connecting has its own timeout.
  if (state_ == State::Busy && pool_ != nullptr) startTimer(pool_->options.request_timeout);
}

void HttpClientConnection::onStreamData(const char* data, size_t len) noexcept {
  if (pool_ == nullptr) return;
  if (state_ != State::Busy || response_done_) {
    // Bytes nobody asked for: the connection's framing can no longer be trusted.
    closeStream(false);
    state_ = State::Closed;
    timer_.close();
    pool_->connectionGone(this);
    return;
  }
  got_bytes_ = true;
  llhttp_errno_t err = llhttp_execute(&parser_, data, len);
  if (err == HPE_OK) return;
  if (err == HPE_PAUSED && response_done_) {
    size_t consumed = static_cast<size_t>(llhttp_get_error_pos(&parser_) - data);
    complete(len - consumed);
    return;
  }
  const char* reason = parse_error_ != nullptr ? parse_error_ : llhttp_get_error_reason(&parser_);
  failRequest(Error{"invalid HTTP response from " + pool_->options.host + ":" + std::to_string(pool_->options.port) +
                    ": " + llhttp_errno_name(err) + (reason != nullptr ? std::string(" ") + reason : "")});
}

void HttpClientConnection::complete(size_t unparsed) {
  bool reusable = stream_->isOpen() && unparsed == 0 && write_done_ && llhttp_should_keep_alive(&parser_) != 0;
  PendingRequest request = std::move(*current_);
  current_.reset();
  HttpResponse response = std::move(response_);
  if (reusable) {
    state_ = State::Idle;
    resetResponse();
    startTimer(pool_->options.idle_timeout);
  } else {
    // Closing before the callback also stops any write still reading the caller's body.
    closeStream(false);
    timer_.close();
    state_ = State::Closed;
  }
  pool_->finished(this, std::move(request.done), std::move(response));
}

void HttpClientConnection::failRequest(Error why) {
  closeStream(false);
  timer_.close();
  state_ = State::Closed;
  std::optional<PendingRequest> request = std::move(current_);
  current_.reset();
  if (request) {
    pool_->finished(this, std::move(request->done), std::move(why));
  } else {
    pool_->connectionGone(this);
  }
}

void HttpClientConnection::onStreamClosed(const Error& why) noexcept {
  if (pool_ == nullptr) return;
  timer_.close();
  if (state_ != State::Busy || !current_) {
    state_ = State::Closed;
    pool_->connectionGone(this);
    return;
  }
  if (why.code == UV_EOF && got_bytes_ && !response_done_ && llhttp_message_needs_eof(&parser_) != 0) {
    llhttp_finish(&parser_);  // a close-delimited body ends here
    if (response_done_) {
      complete(0);
      return;
    }
  }
  bool stale = why.code == UV_EOF || why.code == UV_ECONNRESET || why.code == UV_EPIPE;
  if (stale && reused_ && !got_bytes_ && !current_->retried) {
    // The server closed this idle keep-alive connection while our request was on its way (the classic race
    // with its idle timeout). Resending once on a fresh connection is what browsers and curl do; a duplicate is
    // harmless here because batches carry frame ids the drain deduplicates on.
    state_ = State::Closed;
    PendingRequest request = std::move(*current_);
    current_.reset();
    request.retried = true;
    pool_->resend(this, std::move(request));
    return;
  }
  std::string message = why.message;
  if (why.code == UV_EOF) message += got_bytes_ ? " in the middle of the response" : " before the response";
  failRequest(Error{std::move(message), why.code});
}

void HttpClientConnection::closeStream(bool reset) {
  if (stream_) stream_->close(reset);
}

std::optional<PendingRequest> HttpClientConnection::abandon() {
  closeStream(false);
  timer_.close();
  state_ = State::Closed;
  pool_ = nullptr;
  std::optional<PendingRequest> request = std::move(current_);
  current_.reset();
  return request;
}

}  // namespace sluice
