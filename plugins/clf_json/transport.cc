#include "agent/core/units.h"
#include "plugins/clf_json/transport.h"

#include <spdlog/spdlog.h>

namespace sluice::plugins::clf_json {

HttpOutput::Compose ndjsonPayload(BatchEncoder encoder) {
  return [encoder = std::move(encoder)](const Batch& batch, HttpPayload& out) noexcept {
    out.encoded = std::make_shared<ByteBuffer>();
    encoder(batch, *out.encoded);
    out.body = out.encoded->view();
    out.headers.push_back({"Content-Type", "application/x-ndjson"});
  };
}

ClfJsonTransport::ClfJsonTransport(std::string name, ClfJsonConfig config)
    : name_(std::move(name)), config_(std::move(config)), encoder_(config_.schema, config_.unparsed) {}

BatchEncoder ClfJsonTransport::encoder() {
  return [this](const Batch& batch, ByteBuffer& out) noexcept {
    NdjsonCounts counts;
    encoder_.encodeFrames(batch.bytes.view(), out, counts);
    counts_[batch.seq] = counts;
  };
}

void ClfJsonTransport::deliver(const Batch& batch, DeliverCallback done) {
  output_->deliver(batch, [this, seq = batch.seq, done = std::move(done)](Outcome outcome) noexcept {
    auto it = counts_.find(seq);
    if (it != counts_.end()) {
      const NdjsonCounts c = it->second;
      counts_.erase(it);
      if (outcome.verdict == Verdict::Delivered && c.unparsed_raw + c.unparsed_dropped > 0) {
        countEvent("unparsed_raw", c.unparsed_raw);
        countEvent("unparsed_dropped", c.unparsed_dropped);
        uint64_t suppressed = 0;
        if (unparsed_log_.allow(&suppressed)) {
          spdlog::warn("sink {}: {} not access-log lines ({}){}", name_,
                       countOf(c.unparsed_raw + c.unparsed_dropped, "message was", "messages were"),
                       config_.unparsed == Unparsed::Drop ? "left out, unparsed: drop" : "written as {\"raw\": ...}",
                       suppressedNote(suppressed));
        }
      }
    }
    done(std::move(outcome));
  });
}

}  // namespace sluice::plugins::clf_json
