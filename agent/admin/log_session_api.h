#pragma once
// The routes of log sessions on the admin API:
//   POST   /log-sessions            (token)  {"lines","tail","filter"} → 201 {"id","url","expires_at"} + Location
//   GET    /log-sessions/<secret>   (none)   the last lines once, or (tail) the lines then a live stream
//   DELETE /log-sessions/<id>       (token)  revokes it and cuts its streams
// A secret that is wrong, expired, revoked or already read is the same 404, so a guess learns nothing.
#include <memory>
#include <string>
#include <string_view>

#include "agent/admin/live_streams.h"
#include "agent/admin/log_format.h"
#include "agent/admin/log_sessions.h"
#include "agent/admin/recent_lines.h"
#include "agent/net/http_server.h"

namespace sluice {

class LogSessionApi {
 public:
  struct Settings {
    LogSessions::Settings sessions;
    size_t recent_lines = 10000;   // the most lines a session answers first
  };

  LogSessionApi(Loop& loop, RecentLines& ring, LineFormatter& formatter, LiveStreams& streams, Settings settings);

  // The URL a session's secret is appended to: api.public_url, else http://<the bound address>.
  void setBaseUrl(std::string base);
  static bool owns(std::string_view path) { return path == "/log-sessions" || path.starts_with("/log-sessions/"); }
  // `authorized`: the request carries the API token (or none is set). Reading a session does not need it.
  void handle(const HttpServerRequest& request, HttpResponder& responder, bool authorized);
  size_t sessions() const { return sessions_.size(); }

 private:
  void create(const HttpServerRequest& request, HttpResponder& responder);
  void read(std::string_view secret, const HttpServerRequest& request, HttpResponder& responder);
  void revoke(std::string_view id, HttpResponder& responder);

  RecentLines& ring_;
  LineFormatter& formatter_;
  LiveStreams& streams_;
  Settings settings_;
  LogSessions sessions_;
  std::string base_url_;
};

}  // namespace sluice
