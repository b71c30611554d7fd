#include "plugins/logplex_https/transport.h"

#include "agent/core/clock.h"
#include "plugins/logplex_https/encoder.h"

namespace sluice::plugins::logplex_https {

LogplexTransport::LogplexTransport(Loop& loop, std::string name, LogplexConfig config, size_t max_connections,
                                   std::shared_ptr<TlsContext> tls)
    : loop_(loop), name_(std::move(name)), config_(std::move(config)) {
  HttpClient::Options o;
  o.host = config_.url.host;
  o.port = config_.url.port;
  o.tls = std::move(tls);
  o.server_name = config_.server_name;
  o.host_header = config_.url.authority();
  o.connect_timeout = config_.connect_timeout;
  o.request_timeout = config_.timeout;
  o.max_connections = max_connections;
  client_ = std::make_unique<HttpClient>(loop_, std::move(o));
}

LogplexTransport::~LogplexTransport() = default;

void LogplexTransport::deliver(const Batch& batch, DeliverCallback done) {
  HttpRequest req;
  req.method = "POST";
  req.target = config_.url.target;
  req.headers = requestHeaders(config_, batch);
  req.body = batch.bytes.view();
  ++in_flight_;
  client_->send(std::move(req), [this, done = std::move(done)](Result<HttpResponse> response) {
    --in_flight_;
    done(classifyResponse(response, config_, wallMicros() / 1000000));
    if (in_flight_ == 0 && stop_done_) loop_.post(std::exchange(stop_done_, nullptr));
  });
}

void LogplexTransport::stop(std::function<void()> done) {
  // In-flight requests fail with Error("closing") (→ Retry, counted by the core); stopping is done once every
  // one of them has reported.
  client_->close();
  if (in_flight_ == 0) {
    loop_.post(std::move(done));
  } else {
    stop_done_ = std::move(done);
  }
}

}  // namespace sluice::plugins::logplex_https
