#pragma once
#include <chrono>
#include <cstdint>
#include <string>

#include "agent/admin/app_metrics_settings.h"

namespace sluice {

// The api: section: the local admin API (health, metrics, recent logs, live streams, archive queries).
struct ApiSettings {
  std::string listen = "127.0.0.1:8089";  // "" turns the API off
  bool listen_set = false;                 // written in the file: failing to bind it is then fatal
  std::string token;                       // required as a Bearer token when set
  bool allow_remote = false;               // a non-loopback listen without a token is meant
  uint64_t max_connections = 128;          // past it, the connection waiting longest gives its place
  std::chrono::milliseconds idle_timeout{30000};
  std::chrono::milliseconds header_timeout{10000};
  uint64_t recent_lines = 10000;
  uint64_t recent_bytes = 2 << 20;
  bool archive = false;
  std::chrono::milliseconds retention_time{7LL * 24 * 3600 * 1000};
  uint64_t retention_bytes = 1ULL << 30;
  std::chrono::milliseconds unhealthy_after{60000};
  std::chrono::milliseconds keepalive{25000};
  uint64_t stream_buffer = 1 << 20;        // bytes queued for one live-stream client before it loses lines
  uint64_t max_clients = 64;               // live streams at once
  std::string public_url;                  // the base of log-session URLs; "" = http://<listen>
  std::chrono::milliseconds session_ttl{3600 * 1000};
  uint64_t max_sessions = 64;              // log sessions at once
  AppMetricsSettings metrics;              // the metrics: section (GET /metrics/app)

  bool operator==(const ApiSettings&) const = default;
};

}  // namespace sluice
