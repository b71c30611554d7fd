#include "agent/sink/http_output.h"

#include <spdlog/spdlog.h>

#include "agent/core/clock.h"
#include "agent/net/http_wire.h"

namespace sluice {

Result<std::unique_ptr<HttpOutput>> HttpOutput::create(Loop& loop, std::string name, HttpClientSettings settings,
                                                       size_t max_connections, Compose compose) {
  std::shared_ptr<TlsContext> tls;
  if (settings.secure()) {
    auto ctx = TlsContext::makeClient(settings.tls.options);
    if (!ctx) return Error{"sink " + name + ": " + ctx.error().message};
    tls = std::move(*ctx);
    if (!settings.tls.options.verify) {
      spdlog::warn("sink {}: tls.verify is false: the drain's certificate is not checked, anyone on the path can "
                   "read and change the logs", name);
    }
  } else {
    spdlog::warn("sink {}: {} is plain http: logs and credentials travel unencrypted (use https outside local tests)",
                 name, settings.url.redacted());
  }
  return std::make_unique<HttpOutput>(loop, std::move(name), std::move(settings), max_connections, std::move(tls),
                                      std::move(compose));
}

HttpOutput::HttpOutput(Loop& loop, std::string name, HttpClientSettings settings, size_t max_connections,
                       std::shared_ptr<TlsContext> tls, Compose compose)
    : loop_(loop), name_(std::move(name)), settings_(std::move(settings)), compose_(std::move(compose)) {
  common_headers_ = httpRequestHeaders(settings_, {});
  HttpClient::Options o;
  o.host = settings_.url.host;
  o.port = settings_.url.port;
  o.tls = std::move(tls);
  o.server_name = settings_.tls.server_name;
  o.host_header = settings_.url.authority();
  o.connect_timeout = settings_.timeouts.connect_timeout;
  o.request_timeout = settings_.timeouts.timeout;
  o.max_connections = max_connections;
  client_ = std::make_unique<HttpClient>(loop_, std::move(o));
}

HttpOutput::~HttpOutput() = default;

void HttpOutput::deliver(const Batch& batch, DeliverCallback done) {
  HttpPayload payload;
  compose_(batch, payload);
  if (payload.body.empty()) {
    done(Outcome::delivered());
    return;
  }
  HttpRequest req;
  req.method = "POST";
  req.target = settings_.url.target;
  req.headers = std::move(payload.headers);
  req.headers.insert(req.headers.end(), common_headers_.begin(), common_headers_.end());
  req.body = payload.body;
  ++in_flight_;
  client_->send(std::move(req), [this, encoded = std::move(payload.encoded),
                                 done = std::move(done)](Result<HttpResponse> response) noexcept {
    --in_flight_;
    done(classifyHttpResponse(response, settings_.auth_password, wallMicros() / 1000000));
    if (in_flight_ == 0 && stop_done_) loop_.post(std::exchange(stop_done_, nullptr));
  });
}

void HttpOutput::stop(std::function<void()> done) {
  client_->close();
  if (in_flight_ == 0) {
    loop_.post(std::move(done));
  } else {
    stop_done_ = std::move(done);
  }
}

std::vector<HttpHeader> httpRequestHeaders(const HttpClientSettings& settings, std::vector<HttpHeader> own) {
  std::vector<HttpHeader> h = std::move(own);
  h.reserve(h.size() + 2 + settings.headers.size());
  if (!settings.auth_user.empty()) {
    h.push_back({"Authorization", "Basic " + base64Encode(settings.auth_user + ":" + settings.auth_password)});
  }
  h.push_back({"User-Agent", "sluice/" SLUICE_VERSION});
  for (const auto& [name, value] : settings.headers) h.push_back({name, value});
  return h;
}

std::string encodeHttpRequest(const HttpClientSettings& settings, const HttpPayload& payload) {
  std::string out = serializeRequestHead("POST", settings.url.target, settings.url.authority(),
                                         httpRequestHeaders(settings, payload.headers), payload.body.size());
  out.append(payload.body);
  return out;
}

Outcome classifyHttpResponse(const Result<HttpResponse>& response, std::string_view secret, int64_t now_unix_s) {
  if (!response) return Outcome::retry(response.error().message);
  const HttpResponse& r = *response;
  if (r.status >= 200 && r.status < 300) return Outcome::delivered();
  std::string why = "HTTP " + std::to_string(r.status);
  if (!r.body.empty()) why += ": " + bodySnippet(r.body, 200, secret);
  if (r.status == 408 || r.status == 429 || r.status >= 500) {
    std::chrono::milliseconds after{0};
    if (const std::string* ra = r.header("Retry-After")) {
      if (auto parsed = parseRetryAfter(*ra, now_unix_s)) after = *parsed;
    }
    return Outcome::retry(std::move(why), r.status, after);
  }
  return Outcome::rejected(std::move(why), r.status);
}

}  // namespace sluice
