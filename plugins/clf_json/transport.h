#pragma once
#include <functional>
#include <map>
#include <memory>

#include "agent/core/log.h"
#include "agent/formats/ndjson_encoder.h"
#include "agent/sink/http_output.h"
#include "agent/sink/transport.h"
#include "plugins/clf_json/config.h"

namespace sluice::plugins::clf_json {

using BatchEncoder = std::function<void(const Batch& batch, ByteBuffer& out)>;

// clf_json's part of an HTTP request (HttpOutput does the rest): the NDJSON of the batch, as
// application/x-ndjson. A batch whose every line is left out sends nothing.
HttpOutput::Compose ndjsonPayload(BatchEncoder encoder);

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
