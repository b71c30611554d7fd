#include "plugins/clf_json/transport.h"

#include <spdlog/spdlog.h>

#include "agent/core/clock.h"
#include "agent/net/http_wire.h"

namespace sluice::plugins::clf_json {

NdjsonHttpTransport::NdjsonHttpTransport(Loop& loop, std::string name, const ClfJsonConfig& config,
                                         size_t max_connections, std::shared_ptr<TlsContext> tls, BatchEncoder encoder)
    : loop_(loop), name_(std::move(name)), config_(config), encoder_(std::move(encoder)) {
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
  headers_.push_back({"Content-Type", "application/x-ndjson"});
  if (!config_.auth_user.empty()) {
    headers_.push_back({"Authorization", "Basic " + base64Encode(config_.auth_user + ":" + config_.auth_password)});
  }
  headers_.push_back({"User-Agent", "sluice/" SLUICE_VERSION});
  for (const auto& [k, v] : config_.headers) headers_.push_back({k, v});
}

NdjsonHttpTransport::~NdjsonHttpTransport() = default;

void NdjsonHttpTransport::deliver(const Batch& batch, DeliverCallback done) {
  auto body = std::make_shared<ByteBuffer>();
  encoder_(batch, *body);
  if (body->empty()) {
    done(Outcome::delivered());  // every line left out on purpose: nothing to send
    return;
  }
  HttpRequest req;
  req.method = "POST";
  req.target = config_.url.target;
  req.headers = headers_;
  req.body = body->view();
  ++in_flight_;
  client_->send(std::move(req), [this, body, done = std::move(done)](Result<HttpResponse> response) {
    --in_flight_;
    Outcome outcome;
    if (!response) {
      outcome = Outcome::retry(response.error().message);
    } else if (response->status >= 200 && response->status < 300) {
      outcome = Outcome::delivered();
    } else {
      std::string why = "HTTP " + std::to_string(response->status);
      if (!response->body.empty()) why += ": " + bodySnippet(response->body, 200, config_.auth_password);
      if (response->status == 408 || response->status == 429 || response->status >= 500) {
        std::chrono::milliseconds after{0};
        if (const std::string* ra = response->header("Retry-After")) {
          if (auto parsed = parseRetryAfter(*ra, wallMicros() / 1000000)) after = *parsed;
        }
        outcome = Outcome::retry(std::move(why), response->status, after);
      } else {
        outcome = Outcome::rejected(std::move(why), response->status);
      }
    }
    done(std::move(outcome));
    if (in_flight_ == 0 && stop_done_) loop_.post(std::exchange(stop_done_, nullptr));
  });
}

void NdjsonHttpTransport::stop(std::function<void()> done) {
  client_->close();  // in-flight requests fail with "closing" (→ Retry, counted by the core)
  if (in_flight_ == 0) {
    loop_.post(std::move(done));
  } else {
    stop_done_ = std::move(done);
  }
}

ClfJsonTransport::ClfJsonTransport(std::string name, ClfJsonConfig config)
    : name_(std::move(name)), config_(std::move(config)), encoder_(config_.schema, config_.unparsed) {}

BatchEncoder ClfJsonTransport::encoder() {
  return [this](const Batch& batch, ByteBuffer& out) {
    NdjsonCounts counts;
    encoder_.encodeFrames(batch.bytes.view(), out, counts);
    counts_[batch.seq] = counts;
  };
}

void ClfJsonTransport::deliver(const Batch& batch, DeliverCallback done) {
  output_->deliver(batch, [this, seq = batch.seq, done = std::move(done)](Outcome outcome) {
    auto it = counts_.find(seq);
    if (it != counts_.end()) {
      const NdjsonCounts c = it->second;
      counts_.erase(it);
      if (outcome.verdict == Verdict::Delivered && c.unparsed_raw + c.unparsed_dropped > 0) {
        countEvent("unparsed_raw", c.unparsed_raw);
        countEvent("unparsed_dropped", c.unparsed_dropped);
        uint64_t suppressed = 0;
        if (unparsed_log_.allow(&suppressed)) {
          spdlog::warn("sink {}: {} messages were not access-log lines ({}){}", name_,
                       c.unparsed_raw + c.unparsed_dropped,
                       config_.unparsed == Unparsed::Drop ? "left out, unparsed: drop" : "written as {\"raw\": ...}",
                       suppressed > 0 ? " [" + std::to_string(suppressed) + " similar messages suppressed]" : "");
        }
      }
    }
    done(std::move(outcome));
  });
}

}  // namespace sluice::plugins::clf_json
