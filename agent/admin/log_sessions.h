#pragma once
// Log sessions (POST /log-sessions, after shared/seeds/003): a URL that reads the recent lines once, or follows
// them live, without the API token. The URL's secret is the capability: 256 random bits from the OS, compared in
// constant time, never logged. A session also has an id, which is not secret: it names the session to revoke it
// (DELETE /log-sessions/<id>, with the token). Sessions expire after `ttl`; a stream opened on a tail session
// goes on past that for as long as its client stays, and a revoke cuts it. One timer sweeps what expired.
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "agent/admin/live_streams.h"
#include "agent/admin/log_filter.h"
#include "agent/admin/log_session_request.h"
#include "agent/core/result.h"
#include "agent/loop/loop.h"

namespace sluice {

class LogSessions {
 public:
  struct Settings {
    std::chrono::milliseconds ttl{3600 * 1000};
    size_t max = 64;           // sessions at once; more are refused (429)
  };
  struct Session {
    std::string id;            // names it for DELETE; shown to whoever created it, not a secret
    std::string secret;        // the URL's last segment: 64 hex digits
    LogSessionRequest request;
    LogFilter filter;
    uint64_t expires_ms = 0;   // loop time
    int64_t expires_wall_us = 0;
    std::vector<uint64_t> streams;   // live streams opened on it (LiveStreams ids)
  };
  enum class CreateError { Full, NoRandomness };

  LogSessions(Loop& loop, LiveStreams& streams, Settings settings);
  ~LogSessions();
  LogSessions(const LogSessions&) = delete;
  LogSessions& operator=(const LogSessions&) = delete;

  // A new session, or why not.
  std::variant<const Session*, CreateError> create(LogSessionRequest request, LogFilter filter);
  // The live session whose secret is `secret`, or null (unknown, expired, revoked or read): the caller cannot
  // tell which, and neither can anyone watching how long it takes.
  Session* find(std::string_view secret);
  // A one-shot session has been read: it is gone.
  void consume(const Session* session);
  // Revokes the session `id`: it is gone, and the streams opened on it end. False when there is no such session.
  bool revoke(std::string_view id);
  size_t size() const { return sessions_.size(); }
  const Settings& settings() const { return settings_; }

 private:
  void sweep();
  void endStreams(const Session& s);
  static void onSweep(uv_timer_t* timer) noexcept;

  Loop& loop_;
  LiveStreams& streams_;
  Settings settings_;
  std::vector<std::unique_ptr<Session>> sessions_;
  UvHandle<uv_timer_t> sweep_;
};

}  // namespace sluice
