#include "agent/net/stream_support.h"

#include "agent/core/units.h"

namespace sluice {

std::string bareHost(const std::string& host) {
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') return host.substr(1, host.size() - 2);
  return host;
}

std::string endpointName(const std::string& host, uint16_t port) {
  std::string bare = bareHost(host);
  return (bare.find(':') != std::string::npos ? "[" + bare + "]" : bare) + ":" + std::to_string(port);
}

Error timedOut(std::string_view what, const std::string& endpoint, std::chrono::milliseconds timeout) {
  return Error{std::string(what) + endpoint + " timed out after " + formatDuration(timeout), UV_ETIMEDOUT};
}

}  // namespace sluice
