#pragma once
// What the drain receives, as pure functions: the request for a batch and the verdict for an answer.
#include <string>
#include <vector>

#include "agent/core/batch.h"
#include "agent/core/result.h"
#include "agent/net/http.h"
#include "agent/sink/transport.h"
#include "plugins/logplex_https/config.h"

namespace sluice {
struct HttpResponse;
}

namespace sluice::plugins::logplex_https {

// Content-Type, Logplex-Msg-Count, Logplex-Frame-Id, Authorization, User-Agent and the configured extras.
std::vector<HttpHeader> requestHeaders(const LogplexConfig& config, const Batch& batch);

// The exact bytes of the POST for `batch` (head and body), as written to the connection.
std::string encodeRequest(const LogplexConfig& config, const Batch& batch);

// 2xx: delivered. 408, 429, 5xx: retry (Retry-After honoured). Other statuses: rejected, with a snippet of the
// body. A transport error: retry.
Outcome classifyResponse(const Result<HttpResponse>& response, const LogplexConfig& config, int64_t now_unix_s);

}  // namespace sluice::plugins::logplex_https
