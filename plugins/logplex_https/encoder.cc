#include "plugins/logplex_https/encoder.h"

#include "agent/net/http_client.h"
#include "agent/net/http_wire.h"

namespace sluice::plugins::logplex_https {

std::vector<HttpHeader> requestHeaders(const LogplexConfig& config, const Batch& batch) {
  std::vector<HttpHeader> h;
  h.reserve(6 + config.headers.size());
  h.push_back({"Content-Type", "application/logplex-1"});
  h.push_back({"Logplex-Msg-Count", std::to_string(batch.count)});
  h.push_back({"Logplex-Frame-Id", batch.frame_id});
  if (!config.auth_user.empty()) {
    h.push_back({"Authorization", "Basic " + base64Encode(config.auth_user + ":" + config.auth_password)});
  }
  h.push_back({"User-Agent", "sluice/" SLUICE_VERSION});
  for (const auto& [name, value] : config.headers) h.push_back({name, value});
  return h;
}

std::string encodeRequest(const LogplexConfig& config, const Batch& batch) {
  std::string out = serializeRequestHead("POST", config.url.target, config.url.authority(),
                                         requestHeaders(config, batch), batch.bytes.size());
  out.append(batch.bytes.view());
  return out;
}

Outcome classifyResponse(const Result<HttpResponse>& response, const LogplexConfig& config, int64_t now_unix_s) {
  if (!response) return Outcome::retry(response.error().message);
  const HttpResponse& r = *response;
  if (r.status >= 200 && r.status < 300) return Outcome::delivered();
  std::string why = "HTTP " + std::to_string(r.status);
  if (!r.body.empty()) why += ": " + bodySnippet(r.body, 200, config.auth_password);
  if (r.status == 408 || r.status == 429 || r.status >= 500) {
    std::chrono::milliseconds after{0};
    if (const std::string* ra = r.header("Retry-After")) {
      if (auto parsed = parseRetryAfter(*ra, now_unix_s)) after = *parsed;
    }
    return Outcome::retry(std::move(why), r.status, after);
  }
  return Outcome::rejected(std::move(why), r.status);
}

}  // namespace sluice::plugins::logplex_https
