#pragma once
// HTTP/1.1 client for one origin: a small pool of keep-alive connections (TCP or TLS), responses parsed with
// llhttp. The caller bounds concurrency; at most `max_connections` requests are on the wire at once and more
// wait in order.
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "agent/core/result.h"
#include "agent/loop/loop.h"
#include "agent/net/http.h"
#include "agent/net/tls_context.h"

namespace sluice {

struct HttpRequest {
  std::string method = "POST";
  std::string target = "/";                   // path and query
  std::vector<HttpHeader> headers;            // Host and Content-Length are the client's (copies here are dropped)
  std::string_view body;                      // must stay valid until the callback runs
};

struct HttpResponse {
  int status = 0;
  std::vector<HttpHeader> headers;            // as received
  std::string body;                           // at most HttpClient::Options::max_response_body bytes kept
  size_t body_bytes = 0;                      // the full body length
  const std::string* header(std::string_view name) const { return findHeader(headers, name); }
};

class HttpClient {
 public:
  struct Options {
    std::string host;
    uint16_t port = 0;
    std::shared_ptr<TlsContext> tls;          // null: plain http
    std::string server_name;                  // SNI / verified name; default host
    std::string host_header;                  // default host[:port]
    std::chrono::milliseconds connect_timeout{10000};
    std::chrono::milliseconds request_timeout{30000};   // from the request's first byte to the response's last
    std::chrono::milliseconds idle_timeout{60000};      // an idle keep-alive connection is closed after this
    size_t max_connections = 4;
    size_t max_response_body = 64 * 1024;
  };
  using Callback = std::function<void(Result<HttpResponse>)>;

  HttpClient(Loop& loop, Options options);
  ~HttpClient();  // closes every connection; pending callbacks are not called
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Sends `request`; `done` runs exactly once, never from within send(): with the response (any status), or an
  // Error for a transport failure (refused, reset, timeout, TLS failure with OpenSSL's reason). A request whose
  // connection closed before any byte of the answer arrived is failed, not silently resent: the caller decides.
  // One exception: a request sent on a reused idle keep-alive connection that the server had already closed
  // (EOF/reset before any answer) is resent once on a fresh connection: the stale keep-alive race, not a failure.
  void send(HttpRequest request, Callback done);

  // Fails every pending and in-flight request with an Error("closing") on a later turn and closes connections.
  void close();

  size_t openConnections() const;
  size_t idleConnections() const;

  struct Impl;
 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace sluice
