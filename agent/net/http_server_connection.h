#pragma once
// One accepted connection of an HttpServer: parses requests with llhttp, hands each to the handler in turn and
// writes what the HttpResponder answers. Owned (shared) by the server's table; responders hold weak references.
// http_server_connection.cc has its life and the requests read; http_server_response.cc what it writes.
#include <llhttp.h>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "agent/core/log.h"
#include "agent/net/http_server.h"
#include "agent/net/stream.h"

namespace sluice {

class HttpServerConnection final : public Stream::Handler,
                                   public std::enable_shared_from_this<HttpServerConnection> {
 public:
  HttpServerConnection(HttpServer::Impl& server, Loop& loop);
  ~HttpServerConnection() override;
  HttpServerConnection(const HttpServerConnection&) = delete;
  HttpServerConnection& operator=(const HttpServerConnection&) = delete;

  Status accept(uv_stream_t* listener);
  // Serves a stream that is already connected (accept() uses it; so does the fuzz target, with bytes in memory).
  void adopt(std::unique_ptr<Stream> stream);
  // Server-initiated close. `notify`: the responder's onClose runs on a later turn. `detach`: the server is
  // going away, so it is not told and not touched again.
  void close(bool reset, bool notify, bool detach);

  // HttpResponder's side; `id` names the request being answered.
  bool open() const { return phase_ != Phase::Closed; }
  void respond(uint64_t id, int status, std::vector<HttpHeader> headers, std::string body);
  void abort(uint64_t id, bool reset);
  void startStream(uint64_t id, int status, std::vector<HttpHeader> headers);
  void write(uint64_t id, std::string chunk, std::function<void()> written);
  void end(uint64_t id);
  size_t pendingBytes() const;
  void onClose(uint64_t id, std::function<void()> fn);
  std::unique_ptr<Stream> takeOver(uint64_t id, int status, std::vector<HttpHeader> headers,
                                   Stream::Handler* handler, std::string* leftover);

  // When the server is full, the connection that has waited longest without a request being handled (idle
  // keep-alive, or a request trickling in) gives its place to a new one; nullopt: busy, not to be evicted.
  std::optional<uint64_t> waitingSinceMs() const;

  void onStreamConnected() noexcept override {}
  void onStreamData(const char* data, size_t len) noexcept override;
  void onStreamClosed(const Error& why) noexcept override;

 private:
  // Idle: between requests. Reading: a request is arriving. Handling: the handler has it and reading is paused.
  // Streaming: a chunked response is under way. Closing: the last response is being flushed.
  enum class Phase { Idle, Reading, Handling, Streaming, Closing, Closed };
  friend struct ServerParserCallbacks;

  void parse(const char* data, size_t len);
  void dispatch();
  void reject(int status, const char* reason);
  enum class Framing { Length, Chunked, None };  // None: the new owner of a taken-over connection decides
  std::string responseHead(int status, const std::vector<HttpHeader>& headers, Framing framing, size_t length);
  void send(std::string head, std::string body, bool close_after);
  void finishResponse();
  void resumeRequests();
  void closeAfterWrite();
  void startTimer(std::chrono::milliseconds after);
  static void onTimer(uv_timer_t* timer) noexcept;
  void gone();  // tells the server this connection is finished

  HttpServer::Impl* server_;
  Loop& loop_;
  std::unique_ptr<Stream> stream_;
  UvHandle<uv_timer_t> timer_;
  Phase phase_ = Phase::Idle;
  llhttp_t parser_{};
  HttpServerRequest request_;
  HeadCollector head_parts_;
  bool message_done_ = false;
  int reject_status_ = 0;
  const char* reject_reason_ = "";
  std::string in_;               // received while a request is being handled: the next request's bytes
  bool resume_posted_ = false;
  uint64_t request_id_ = 0;
  bool keep_alive_ = true;
  bool http10_ = false;
  bool head_ = false;
  std::function<void()> on_close_;
  std::string peer_;
  uint64_t waiting_since_ms_ = 0;   // loop time of the accept or of the last answer
};

struct HttpServer::Impl {
  Impl(Loop& loop, Options options, Handler handler);
  ~Impl();

  Result<uint16_t> listen();
  void stopListening();
  void closeConnections(bool reset);
  void connectionGone(HttpServerConnection* conn);
  static void onConnection(uv_stream_t* listener, int status) noexcept;
  // Makes room for one more connection: closes the one waiting longest; false when every one is busy.
  bool evictWaiting();
  void refuse(uv_stream_t* listener);

  Loop& loop;
  Options options;
  // Shared so a handler that destroys the server (and so this Impl) is not destroyed while it runs.
  std::shared_ptr<Handler> handler;
  UvHandle<uv_tcp_t> listener;
  uint16_t port = 0;
  std::unordered_map<HttpServerConnection*, std::shared_ptr<HttpServerConnection>> conns;
  HttpServer::Stats stats;
  RateLimitedLog refusals_log;
  std::shared_ptr<bool> alive = std::make_shared<bool>(true);
};

// "Sun, 06 Nov 1994 08:49:37 GMT", formatted once per second.
const std::string& httpDate();

}  // namespace sluice
