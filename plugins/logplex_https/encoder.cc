#include "plugins/logplex_https/encoder.h"

namespace sluice::plugins::logplex_https {

HttpPayload logplexPayload(const Batch& batch) {
  HttpPayload p;
  p.headers.reserve(3);
  p.headers.push_back({"Content-Type", "application/logplex-1"});
  p.headers.push_back({"Logplex-Msg-Count", std::to_string(batch.count)});
  p.headers.push_back({"Logplex-Frame-Id", batch.frame_id});
  p.body = batch.bytes.view();
  return p;
}

std::string encodeRequest(const LogplexConfig& config, const Batch& batch) {
  return encodeHttpRequest(config.http, logplexPayload(batch));
}

}  // namespace sluice::plugins::logplex_https
