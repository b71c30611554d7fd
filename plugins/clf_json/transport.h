#pragma once
#include <functional>
#include <map>
#include <memory>

#include "agent/core/log.h"
#include "agent/loop/loop.h"
#include "agent/net/http_client.h"
#include "agent/sink/transport.h"
#include "plugins/clf_json/config.h"
#include "agent/formats/ndjson_encoder.h"

namespace sluice::plugins::clf_json {

using BatchEncoder = std::function<void(const Batch& batch, ByteBuffer& out)>;

// POSTs the NDJSON of each batch (Content-Type: application/x-ndjson) over the drain's HTTP client: keep-alive
// connections, TLS verification, and the same verdicts (2xx delivered; 408, 429, 5xx and transport errors
// retried, Retry-After honoured; other statuses rejected).
class NdjsonHttpTransport final : public SinkTransport {
 public:
  NdjsonHttpTransport(Loop& loop, std::string name, const ClfJsonConfig& config, size_t max_connections,
                      std::shared_ptr<TlsContext> tls, BatchEncoder encoder);
  ~NdjsonHttpTransport() override;

  void deliver(const Batch& batch, DeliverCallback done) override;
  void stop(std::function<void()> done) override;

 private:
  Loop& loop_;
  std::string name_;
  const ClfJsonConfig& config_;
  BatchEncoder encoder_;
  std::vector<HttpHeader> headers_;
  std::unique_ptr<HttpClient> client_;
  size_t in_flight_ = 0;
  std::function<void()> stop_done_;
};

// The clf_json sink: encodes with NdjsonEncoder for the output it wraps (a file, stdout or HTTP) and counts the
// lines that were not access-log lines once their batch is delivered (a retried batch is not counted twice).
class ClfJsonTransport final : public SinkTransport {
 public:
  ClfJsonTransport(std::string name, ClfJsonConfig config);
  const ClfJsonConfig& config() const { return config_; }
  BatchEncoder encoder();
  void setOutput(std::unique_ptr<SinkTransport> output) { output_ = std::move(output); }

  void deliver(const Batch& batch, DeliverCallback done) override;
  void stop(std::function<void()> done) override { output_->stop(std::move(done)); }
  void reopen() override { output_->reopen(); }

 private:
  std::string name_;
  ClfJsonConfig config_;
  NdjsonEncoder encoder_;
  std::unique_ptr<SinkTransport> output_;
  std::map<uint64_t, NdjsonCounts> counts_;  // by batch seq, from encoding to its verdict
  RateLimitedLog unparsed_log_;
};

}  // namespace sluice::plugins::clf_json
