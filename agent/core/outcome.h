#pragma once
// What one attempt to deliver a batch came to: the vocabulary between a transport (which only moves bytes) and
// the core (which owns retries, order and acknowledgements). After Fluent Bit's OK/RETRY/ERROR.
#include <chrono>
#include <functional>
#include <string>

namespace sluice {

enum class Verdict { Delivered, Retry, Rejected };

struct Outcome {
  Verdict verdict = Verdict::Delivered;
  std::chrono::milliseconds retry_after{0};   // a server-given delay (Retry-After), 0 when none
  std::string reason;                         // for logs: "HTTP 503: <body snippet>", "connection refused", ...
  int code = 0;                               // a protocol status (HTTP), 0 for transport failures

  static Outcome delivered() { return {}; }
  static Outcome retry(std::string why, int code = 0, std::chrono::milliseconds after = std::chrono::milliseconds(0)) {
    return {Verdict::Retry, after, std::move(why), code};
  }
  static Outcome rejected(std::string why, int code = 0) {
    return {Verdict::Rejected, std::chrono::milliseconds(0), std::move(why), code};
  }
};

using DeliverCallback = std::function<void(Outcome)>;

}  // namespace sluice
