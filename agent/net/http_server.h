#pragma once
// HTTP/1.1 server (llhttp) on the loop, plain or TLS, keep-alive. Requests on one connection are handled one at a
// time, in order (parsing pauses until the current one is answered; bytes that follow are kept, and reading pauses
// once 64 KiB of them wait, so a peer that leaves is still noticed). A handler may answer later (after delivery,
// for the logplex input), stream a response (SSE), or take the connection over (WebSocket upgrade).
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "agent/core/result.h"
#include "agent/loop/loop.h"
#include "agent/net/http.h"
#include "agent/net/stream.h"
#include "agent/net/tls_context.h"

namespace sluice {

struct HttpServerRequest {
  std::string method;
  std::string target;                         // path and query as sent
  std::vector<HttpHeader> headers;
  std::string body;                           // Content-Length or chunked, decoded
  std::string peer;                           // "127.0.0.1:54321"
  bool keep_alive = true;
  bool upgrade = false;                       // "Connection: Upgrade" + "Upgrade: ..." present
  const std::string* header(std::string_view name) const { return findHeader(headers, name); }
  std::string_view path() const;              // target without the query
  std::string_view query() const;             // after '?', or ""
};

class HttpServerConnection;

// A handle to answer one request. Copyable; answering twice, or after the connection died, does nothing.
class HttpResponder {
 public:
  HttpResponder() = default;
  explicit HttpResponder(std::weak_ptr<HttpServerConnection> conn, uint64_t request = 0)
      : conn_(std::move(conn)), request_(request) {}

  bool connected() const;
  // Sends a complete response; Content-Length and Date are added.
  void respond(int status, std::vector<HttpHeader> headers, std::string body);
  // Closes the connection without an answer (`reset`: with a TCP RST).
  void abort(bool reset = false);

  // Streaming (SSE): sends the status line and headers with chunked encoding; then write() chunks, end() ends.
  void startStream(int status, std::vector<HttpHeader> headers);
  // `written` (optional) runs once the chunk's memory is released: written to the socket, or dropped with it.
  void write(std::string chunk, std::function<void()> written = {});
  void end();
  size_t pendingBytes() const;                // queued, not yet written: a slow client shows here
  // Called once when the peer goes away (streams and long-held requests use it). Replaces an earlier one.
  void onClose(std::function<void()> fn);

  // Upgrade (WebSocket): sends `status`/`headers` (e.g. 101) and hands over the connection. The returned stream
  // delivers bytes to `handler`; `leftover` holds bytes that arrived after the request.
  std::unique_ptr<Stream> takeOver(int status, std::vector<HttpHeader> headers, Stream::Handler* handler,
                                   std::string* leftover);

 private:
  std::weak_ptr<HttpServerConnection> conn_;
  uint64_t request_ = 0;  // which request on the connection this answers: a stale copy cannot answer the next
};

class HttpServer {
 public:
  struct Options {
    std::string host = "127.0.0.1";
    uint16_t port = 0;                        // 0: any free port (see port())
    std::shared_ptr<TlsContext> tls;          // null: plain http
    size_t max_body = 8 * 1024 * 1024;        // larger bodies are answered 413 and the connection closed
    size_t max_header_bytes = 64 * 1024;      // 431
    std::chrono::milliseconds idle_timeout{60000};
    std::chrono::milliseconds request_timeout{30000};   // headers + body must arrive within this
    // Past this, a new connection takes the place of the one waiting longest for a request (idle or trickling
    // in), so that idle or slow-loris clients cannot lock out a health check; refused only when all are busy.
    size_t max_connections = 1024;
    // Told of each connection evicted or refused ("connection_evicted", "connection_refused"), for a metric.
    std::function<void(const char* what)> on_turned_away;
  };
  struct Stats {
    uint64_t evicted = 0;   // closed to make room for a new connection
    uint64_t refused = 0;   // turned away: every connection busy
  };
  using Handler = std::function<void(HttpServerRequest&& request, HttpResponder responder)>;

  HttpServer(Loop& loop, Options options, Handler handler);
  ~HttpServer();  // closes the listener and every connection
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  Result<uint16_t> listen();                  // binds and listens; returns the port
  uint16_t port() const;
  void stopListening();                       // stop accepting; open connections continue
  void closeConnections(bool reset = false);  // drops every open connection
  size_t connectionCount() const;
  const Stats& stats() const;

  struct Impl;
 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace sluice
