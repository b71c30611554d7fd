#pragma once
// What the drain receives, as pure functions: the logplex part of a request (its headers, the batch as it is).
#include <string>

#include "agent/core/batch.h"
#include "agent/sink/http_output.h"
#include "plugins/logplex_https/config.h"

namespace sluice::plugins::logplex_https {

// Content-Type: application/logplex-1, Logplex-Msg-Count, Logplex-Frame-Id; the body is the batch's frames.
// HttpOutput adds Authorization, User-Agent and the configured extras.
HttpPayload logplexPayload(const Batch& batch);

// The exact bytes of the POST for `batch` (head and body), as written to the connection.
std::string encodeRequest(const LogplexConfig& config, const Batch& batch);

}  // namespace sluice::plugins::logplex_https
