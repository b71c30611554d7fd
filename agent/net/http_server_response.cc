// What an HttpServerConnection writes: the response head, whole responses, chunked streams, the server's own
// rejections, and the hand-over of the connection to another protocol (WebSocket).
#include <cstdio>
#include <ctime>

#include "agent/formats/http_status_text.h"
#include "agent/net/http_server_connection.h"

namespace sluice {

namespace {

constexpr char kCrlf[] = "\r\n";

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

std::string HttpServerConnection::responseHead(int status, const std::vector<HttpHeader>& headers, Framing framing,
                                               size_t length) {
  std::string head;
  head.reserve(160 + headers.size() * 48);
  head.append("HTTP/1.1 ").append(std::to_string(status)).append(" ").append(statusText(status));
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
      if (headerHasToken(&h.value, "close")) keep_alive_ = false;
      if (!headerHasToken(&h.value, "upgrade")) continue;  // written below, from keep_alive_
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

void HttpServerConnection::reject(int status, const char* reason) {
  if (phase_ == Phase::Closing || phase_ == Phase::Closed) return;
  keep_alive_ = false;
  phase_ = Phase::Closing;
  if (server_ != nullptr) startTimer(server_->options.idle_timeout);
  stream_->pauseReading();
  std::string body = std::string(reason) + "\n";
  send(responseHead(status, {{"Content-Type", "text/plain"}}, Framing::Length, body.size()), std::move(body), true);
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

}  // namespace sluice
