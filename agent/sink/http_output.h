#pragma once
// The output every HTTP sink composes (logplex_https, clf_json's http(s) output): the client (keep-alive
// connections, at most max_in_flight at once, TLS with verification), the credentials and extra headers, and the
// verdict on each answer. A sink adds only what is its own: the body and its own headers.
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "agent/config/http_options.h"
#include "agent/core/bytes.h"
#include "agent/loop/loop.h"
#include "agent/net/http_client.h"
#include "agent/sink/transport.h"

namespace sluice {

// The sink's part of the request for one batch.
struct HttpPayload {
  std::vector<HttpHeader> headers;      // the sink's own, sent first: Content-Type, Logplex-Msg-Count, ...
  std::string_view body;                // the batch's bytes as they are, or `encoded`
  std::shared_ptr<ByteBuffer> encoded;  // a body the sink encoded: kept until the answer
};

class HttpOutput final : public SinkTransport {
 public:
  // Fills the payload of `batch`. An empty body is not sent: the batch is delivered (every line of it was left
  // out on purpose).
  using Compose = std::function<void(const Batch& batch, HttpPayload& out)>;

  // Makes the TLS context of an https URL (an unreadable CA or certificate is an error naming the sink); warns
  // when tls.verify is off or the URL is plain http.
  static Result<std::unique_ptr<HttpOutput>> create(Loop& loop, std::string name, HttpClientSettings settings,
                                                    size_t max_connections, Compose compose);
  HttpOutput(Loop& loop, std::string name, HttpClientSettings settings, size_t max_connections,
             std::shared_ptr<TlsContext> tls, Compose compose);
  ~HttpOutput() override;

  void deliver(const Batch& batch, DeliverCallback done) override;
  // In-flight requests fail with Error("closing") (→ Retry, counted by the core); `done` runs once every one of
  // them has reported.
  void stop(std::function<void()> done) override;
  std::string describe() const override {
    return "POST " + settings_.url.redacted() + (settings_.auth_password.empty() ? "" : " (token ****)");
  }

 private:
  Loop& loop_;
  std::string name_;
  HttpClientSettings settings_;
  Compose compose_;
  std::vector<HttpHeader> common_headers_;  // after the sink's own: Authorization, User-Agent, the configured ones
  std::unique_ptr<HttpClient> client_;
  size_t in_flight_ = 0;
  std::function<void()> stop_done_;
};

// Every header of a request, in the order sent: the sink's own, Authorization (basic auth, when there are
// credentials), User-Agent, then the configured extras.
std::vector<HttpHeader> httpRequestHeaders(const HttpClientSettings& settings, std::vector<HttpHeader> own);

// The exact bytes of the POST of `payload` (head and body), as written to the connection.
std::string encodeHttpRequest(const HttpClientSettings& settings, const HttpPayload& payload);

// 2xx: delivered. 408, 429, 5xx: retry (Retry-After honoured, seconds or an HTTP date). Other statuses: rejected,
// with a snippet of the body in which `secret` (the token, should the server echo it) is masked. A transport error:
// retry.
Outcome classifyHttpResponse(const Result<HttpResponse>& response, std::string_view secret, int64_t now_unix_s);

}  // namespace sluice
