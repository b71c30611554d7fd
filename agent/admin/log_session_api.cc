#include "agent/admin/log_session_api.h"

#include <spdlog/spdlog.h>

#include <charconv>

#include "agent/admin/query_string.h"
#include "agent/admin/recent_dump.h"
#include "agent/core/units.h"

namespace sluice {
namespace {

constexpr std::string_view kPrefix = "/log-sessions/";

std::vector<HttpHeader> text() { return {{"Content-Type", "text/plain; charset=utf-8"}}; }

// The one answer for every secret that opens nothing.
void notFound(HttpResponder& responder) { responder.respond(404, text(), "no such log session\n"); }

}  // namespace

LogSessionApi::LogSessionApi(Loop& loop, RecentLines& ring, LineFormatter& formatter, LiveStreams& streams,
                             Settings settings)
    : ring_(ring),
      formatter_(formatter),
      streams_(streams),
      settings_(settings),
      sessions_(loop, streams, settings.sessions) {}

void LogSessionApi::setBaseUrl(std::string base) {
  while (!base.empty() && base.back() == '/') base.pop_back();
  base_url_ = std::move(base);
}

void LogSessionApi::handle(const HttpServerRequest& request, HttpResponder& responder, bool authorized) {
  std::string_view path = request.path();
  const bool collection = path == "/log-sessions";
  const bool read_request = !collection && request.method == "GET";
  if (!read_request && !authorized) {
    responder.respond(401, {{"Content-Type", "text/plain"}, {"WWW-Authenticate", "Bearer realm=\"sluice\""}},
                      "missing or wrong token (Authorization: Bearer TOKEN)\n");
    return;
  }
  if (collection) {
    if (request.method != "POST") {
      responder.respond(405, {{"Content-Type", "text/plain"}, {"Allow", "POST"}},
                        "POST /log-sessions creates a log session\n");
      return;
    }
    create(request, responder);
    return;
  }
  std::string_view rest = path.substr(kPrefix.size());
  if (request.method == "GET") {
    read(rest, request, responder);
  } else if (request.method == "DELETE") {
    revoke(rest, responder);
  } else {
    responder.respond(405, {{"Content-Type", "text/plain"}, {"Allow", "GET, DELETE"}},
                      "GET reads a log session, DELETE (with its id) revokes it\n");
  }
}

void LogSessionApi::create(const HttpServerRequest& request, HttpResponder& responder) {
  if (request.body.size() > kMaxLogSessionBody) {
    responder.respond(413, text(), "the body is larger than " + std::to_string(kMaxLogSessionBody) + " bytes\n");
    return;
  }
  Result<LogSessionRequest> parsed = parseLogSessionRequest(request.body);
  if (!parsed) {
    responder.respond(400, text(), parsed.error().message + "\n");
    return;
  }
  Result<LogFilter> filter = LogFilter::parse(parsed->filter);
  if (!filter) {
    responder.respond(400, text(), "filter: " + filter.error().message + "\n");
    return;
  }
  const bool tail = parsed->tail;
  auto made = sessions_.create(std::move(*parsed), std::move(*filter));
  if (auto* why = std::get_if<LogSessions::CreateError>(&made)) {
    if (*why == LogSessions::CreateError::Full) {
      responder.respond(429, {{"Content-Type", "text/plain"}, {"Retry-After", "60"}},
                        "too many log sessions (api.sessions.max: " + std::to_string(sessions_.settings().max) +
                            "); revoke one (DELETE /log-sessions/ID) or wait for one to expire\n");
    } else {
      responder.respond(503, text(), "no random bytes from the system for the session's secret\n");
    }
    return;
  }
  const LogSessions::Session& s = *std::get<const LogSessions::Session*>(made);
  const std::string url = base_url_ + std::string(kPrefix) + s.secret;
  std::string body = "{\"id\":\"" + s.id + "\",\"url\":";
  appendJsonString(body, url);
  body += ",\"expires_at\":\"" + formatter_.timestamp(s.expires_wall_us) + "\"";
  body += ",\"lines\":" + std::to_string(s.request.lines) + ",\"tail\":" + (tail ? "true" : "false") + ",\"filter\":";
  appendJsonString(body, s.request.filter);
  body += "}\n";
  // The id only: the secret is never written to Sluice's own log.
  spdlog::info("api: log session {} created ({}, expires in {})", s.id, tail ? "tail" : "one read",
               formatDuration(sessions_.settings().ttl));
  responder.respond(201, {{"Content-Type", "application/json"}, {"Location", url}, {"Cache-Control", "no-store"}},
                    std::move(body));
}

void LogSessionApi::read(std::string_view secret, const HttpServerRequest& request, HttpResponder& responder) {
  LogSessions::Session* s = sessions_.find(secret);
  if (s == nullptr) {
    notFound(responder);
    return;
  }
  const size_t n = static_cast<size_t>(std::min<uint64_t>(s->request.lines, settings_.recent_lines));
  if (!s->request.tail) {
    QueryParams q = parseQueryString(request.query());
    const std::string* format_text = queryParam(q, "format");
    std::optional<LogFormat> format = parseLogFormat(format_text != nullptr ? *format_text : "text");
    if (!format) {
      responder.respond(400, text(), "unknown format '" + *format_text + "' (text, raw, ndjson, json, clf)\n");
      return;
    }
    std::string body = dumpRecentLines(ring_, formatter_, s->filter, n, *format);
    sessions_.consume(s);
    responder.respond(200, {{"Content-Type", std::string(logFormatContentType(*format))}, {"Cache-Control", "no-store"}},
                      std::move(body));
    return;
  }
  if (streams_.full()) {
    responder.respond(503, {{"Content-Type", "text/plain"}, {"Retry-After", "5"}},
                      "too many live streams (api.max_clients)\n");
    return;
  }
  if (!LiveStreams::acceptableUpgrade(request, responder)) return;
  uint64_t last_id = 0;
  if (const std::string* id = request.header("Last-Event-ID")) {
    std::from_chars(id->data(), id->data() + id->size(), last_id);
  }
  if (uint64_t stream = streams_.start(request, responder, s->filter, n, last_id); stream != 0) {
    s->streams.push_back(stream);
  }
}

void LogSessionApi::revoke(std::string_view id, HttpResponder& responder) {
  if (!sessions_.revoke(id)) {
    responder.respond(404, text(), "no such log session id\n");
    return;
  }
  spdlog::info("api: log session {} revoked", id);
  responder.respond(204, {}, "");
}

}  // namespace sluice
