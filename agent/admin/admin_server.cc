#include "agent/admin/admin_server.h"

#include <openssl/crypto.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <charconv>

#include "agent/admin/query_string.h"
#include "agent/admin/recent_dump.h"
#include "agent/core/clock.h"
#include "agent/core/listen_address.h"
#include "agent/core/units.h"

namespace sluice {
namespace {

constexpr size_t kDefaultDumpLines = 100;
constexpr size_t kMaxUnsentWindowBytes = 8 << 20;   // a window answer waits for a slow reader beyond this

std::vector<HttpHeader> textHeaders() { return {{"Content-Type", "text/plain; charset=utf-8"}}; }
std::vector<HttpHeader> jsonHeaders() { return {{"Content-Type", "application/json"}}; }

std::string_view contentType(LogFormat f) { return logFormatContentType(f); }

bool constantTimeEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) {
    (void)CRYPTO_memcmp(a.data(), a.data(), a.size());  // the same work either way
    return false;
  }
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

bool parseCount(const std::string* text, size_t* out) {
  if (text == nullptr) return true;
  uint64_t v = 0;
  auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), v);
  if (ec != std::errc() || end != text->data() + text->size()) return false;
  *out = static_cast<size_t>(v);
  return true;
}

bool truthy(const std::string* v) { return v != nullptr && (*v == "true" || *v == "1" || *v == "yes" || v->empty()); }

}  // namespace

struct AdminServer::WindowRun {
  AdminServer* owner = nullptr;
  HttpResponder responder;
  std::shared_ptr<Archive::Query> query;
  std::vector<HttpHeader> headers;
  bool streaming = false;
  UvHandle<uv_timer_t> wait;
};

AdminServer::AdminServer(Loop& loop, ApiSettings settings, std::string state_dir, std::string hostname,
                         AdminView view)
    : loop_(loop),
      settings_(std::move(settings)),
      state_dir_(std::move(state_dir)),
      view_(std::move(view)),
      hostname_(hostname),
      formatter_(std::move(hostname)),
      ring_(settings_.recent_lines, settings_.recent_bytes) {
  LiveStreams::Settings ls;
  ls.keepalive = settings_.keepalive;
  ls.buffer = settings_.stream_buffer;
  ls.max_clients = settings_.max_clients;
  streams_ = std::make_unique<LiveStreams>(loop_, ring_, formatter_, ls);
  LogSessionApi::Settings lss{{settings_.session_ttl, settings_.max_sessions}, settings_.recent_lines};
  log_sessions_ = std::make_unique<LogSessionApi>(loop_, ring_, formatter_, *streams_, lss);
  app_metrics_ = std::make_unique<AppMetrics>(loop_, settings_.metrics, [this] {
    std::vector<std::pair<std::string, int64_t>> children;
    for (const auto& s : view_.sources()) {
      if (std::optional<int> pid = s->childPid()) children.emplace_back(s->info().name, *pid);
    }
    return children;
  });
}

AdminServer::~AdminServer() {
  *alive_ = false;
  runs_.clear();
  log_sessions_.reset();
  streams_.reset();
  server_.reset();
}

Status AdminServer::start() {
  if (settings_.archive) {
    Archive::Settings as;
    as.dir = state_dir_ + "/archive";
    as.retention_time = settings_.retention_time;
    as.retention_bytes = settings_.retention_bytes;
    archive_ = std::make_unique<Archive>(loop_, as);
    Status st = archive_->open();
    if (!st) {
      archive_.reset();
      return Error{"api: " + st.error().message};
    }
    archive_closed_ = false;
  }
  Result<ListenAddress> addr = parseListenAddress(settings_.listen);
  if (!addr) return Error{"api: listen: " + addr.error().message, UV_EINVAL};
  std::string host = addr->bindHost();
  HttpServer::Options o;
  o.host = host;
  o.port = addr->port;
  o.max_body = 64 * 1024;
  // Live streams hold their connections; the rest of the places stay for health checks and dumps.
  o.max_connections = std::max<size_t>(settings_.max_connections, settings_.max_clients + 8);
  o.idle_timeout = settings_.idle_timeout;
  o.request_timeout = settings_.header_timeout;
  server_ = std::make_unique<HttpServer>(loop_, o, [this](HttpServerRequest&& r, HttpResponder resp) {
    handle(std::move(r), std::move(resp));
  });
  auto bound = server_->listen();
  if (!bound) {
    server_.reset();
    return Error{"api: " + bound.error().message, bound.error().code};
  }
  log_sessions_->setBaseUrl(!settings_.public_url.empty() ? settings_.public_url
                            : "http://" + (host.find(':') != std::string::npos ? "[" + host + "]" : host) + ":" +
                                  std::to_string(*bound));
  app_metrics_->start();
  spdlog::info("admin API listening on http://{}:{} (/healthz /readyz /metrics /metrics/app /logs /log-sessions){}", host, *bound,
               settings_.archive ? ", archive in " + state_dir_ + "/archive" : "");
  return {};
}

bool AdminServer::authorized(const HttpServerRequest& request) const {
  if (settings_.token.empty()) return true;
  if (const std::string* auth = request.header("Authorization")) {
    std::string_view v = *auth;
    if (v.size() > 7 && (v.substr(0, 7) == "Bearer " || v.substr(0, 7) == "bearer ")) {
      return constantTimeEquals(v.substr(7), settings_.token);
    }
  }
  // Browsers cannot set headers on a WebSocket or EventSource: ?token= as well.
  QueryParams q = parseQueryString(request.query());
  if (const std::string* t = queryParam(q, "token")) return constantTimeEquals(*t, settings_.token);
  return false;
}

void AdminServer::handle(HttpServerRequest&& request, HttpResponder responder) {
  if (closing_) {
    responder.respond(503, {{"Content-Type", "text/plain"}, {"Connection", "close"}}, "shutting down\n");
    return;
  }
  if (LogSessionApi::owns(request.path())) {
    log_sessions_->handle(request, responder, authorized(request));
    return;
  }
  if (!authorized(request)) {
    responder.respond(401, {{"Content-Type", "text/plain"}, {"WWW-Authenticate", "Bearer realm=\"sluice\""}},
                      "missing or wrong token (Authorization: Bearer TOKEN)\n");
    return;
  }
  if (request.method != "GET" && request.method != "HEAD") {
    responder.respond(405, {{"Content-Type", "text/plain"}, {"Allow", "GET, HEAD"}}, "only GET is supported\n");
    return;
  }
  std::string_view path = request.path();
  if (path == "/healthz" || path == "/health") {
    healthz(responder);
  } else if (path == "/readyz") {
    readyz(responder);
  } else if (path == "/metrics") {
    responder.respond(200, {{"Content-Type", "text/plain; version=0.0.4; charset=utf-8"}}, metricsText());
  } else if (path == "/metrics/app") {
    AppMetricsAnswer a = app_metrics_->query(request.query());
    responder.respond(a.status, std::move(a.headers), std::move(a.body));
  } else if (path == "/logs") {
    logs(request, responder);
  } else if (path == "/") {
    responder.respond(200, textHeaders(),
                      "sluice " SLUICE_VERSION " admin API: GET /healthz /readyz /metrics /metrics/app "
                      "/logs?n=&filter=&stream=&after=&before=&format=\n");
  } else {
    responder.respond(404, textHeaders(), "not found: " + std::string(path) + "\n");
  }
}

void AdminServer::healthz(HttpResponder& responder) {
  const int64_t now = wallMicros();
  std::string body = "{";
  std::string reason;
  const bool stopping = view_.stopping && view_.stopping();
  std::string sinks = "[";
  for (const auto& sink : view_.sinks()) {
    const int64_t since = sink->failingSinceUs();
    const double failing_s = since != 0 ? static_cast<double>(now - since) / 1e6 : 0;
    const bool unhealthy = since != 0 && now - since >= static_cast<int64_t>(settings_.unhealthy_after.count()) * 1000;
    if (sinks.size() > 1) sinks += ",";
    sinks += "{\"name\":";
    appendJsonString(sinks, sink->name());
    sinks += ",\"type\":";
    appendJsonString(sinks, sink->settings().type);
    sinks += std::string(",\"state\":\"") + (unhealthy ? "failing" : since != 0 ? "retrying" : "ok") + "\"";
    if (since != 0) {
      sinks += ",\"failing_seconds\":" + std::to_string(static_cast<int64_t>(failing_s)) + ",\"last_error\":";
      appendJsonString(sinks, sink->lastError());
    }
    sinks += ",\"buffered_events\":" + std::to_string(sink->bufferedEvents()) + "}";
    if (unhealthy && reason.empty()) {
      reason = "sink " + sink->name() + " has failed for " +
               roughDuration(std::chrono::milliseconds((now - since) / 1000)) + ": " + sink->lastError();
    }
  }
  sinks += "]";
  std::string sources = "[";
  for (const auto& s : view_.sources()) {
    if (sources.size() > 1) sources += ",";
    sources += "{\"name\":";
    appendJsonString(sources, s->info().name);
    sources += ",\"type\":";
    appendJsonString(sources, s->info().type);
    sources += std::string(",\"state\":\"") + (s->finished() ? "finished" : "running") + "\"}";
  }
  sources += "]";
  if (stopping && reason.empty()) reason = "the agent is shutting down";
  const bool ok = reason.empty();
  body += std::string("\"status\":\"") + (ok ? "ok" : stopping ? "stopping" : "unhealthy") + "\"";
  if (!ok) {
    body += ",\"reason\":";
    appendJsonString(body, reason);
  }
  body += ",\"sources\":" + sources + ",\"sinks\":" + sinks + "}\n";
  responder.respond(ok ? 200 : 503, jsonHeaders(), std::move(body));
}

void AdminServer::readyz(HttpResponder& responder) {
  const bool stopping = view_.stopping && view_.stopping();
  responder.respond(stopping ? 503 : 200, textHeaders(), stopping ? "stopping\n" : "ready\n");
}

void AdminServer::logs(const HttpServerRequest& request, HttpResponder& responder) {
  QueryParams q = parseQueryString(request.query());
  const std::string* filter_text = queryParam(q, "filter");
  Result<LogFilter> filter = LogFilter::parse(filter_text != nullptr ? *filter_text : "");
  if (!filter) {
    responder.respond(400, textHeaders(), filter.error().message + "\n");
    return;
  }
  const std::string* after = queryParam(q, "after");
  const std::string* before = queryParam(q, "before");
  const bool windowed = after != nullptr || before != nullptr;
  const std::string* format_text = queryParam(q, "format");
  std::optional<LogFormat> format =
      parseLogFormat(format_text != nullptr ? *format_text : (windowed ? "ndjson" : "text"));
  if (!format) {
    responder.respond(400, textHeaders(), "unknown format '" + *format_text + "' (text, raw, ndjson, json, clf)\n");
    return;
  }
  size_t n = truthy(queryParam(q, "stream")) ? 0 : kDefaultDumpLines;
  if (!parseCount(queryParam(q, "n"), &n)) {
    responder.respond(400, textHeaders(), "n must be a non-negative integer\n");
    return;
  }
  n = std::min<size_t>(n, settings_.recent_lines);
  if (windowed) {
    window(request, responder, after, before, std::move(*filter), *format);
    return;
  }
  if (truthy(queryParam(q, "stream"))) {
    if (streams_->full()) {
      responder.respond(503, {{"Content-Type", "text/plain"}, {"Retry-After", "5"}},
                        "too many live streams (api.max_clients)\n");
      return;
    }
    uint64_t last_id = 0;
    if (const std::string* id = request.header("Last-Event-ID")) {
      std::from_chars(id->data(), id->data() + id->size(), last_id);
    }
    if (!LiveStreams::acceptableUpgrade(request, responder)) return;
    streams_->start(request, responder, std::move(*filter), n, last_id);
    return;
  }
  // Dump: the last n matching lines, oldest first.
  responder.respond(200, {{"Content-Type", std::string(contentType(*format))}},
                    dumpRecentLines(ring_, formatter_, *filter, n, *format));
}

void AdminServer::window(const HttpServerRequest&, HttpResponder& responder, const std::string* after,
                         const std::string* before, LogFilter filter, LogFormat format) {
  if (!archive_) {
    responder.respond(404, textHeaders(),
                      "time windows need the archive: set api.archive: true (lines received from then on are kept)\n");
    return;
  }
  auto query = std::make_shared<Archive::Query>();
  query->after_us = INT64_MIN;
  query->before_us = INT64_MAX;
  for (auto [text, slot] : {std::pair{after, &query->after_us}, std::pair{before, &query->before_us}}) {
    if (text == nullptr) continue;
    Result<int64_t> t = parseTimestampMicros(*text);
    if (!t) {
      responder.respond(400, textHeaders(), t.error().message + "\n");
      return;
    }
    *slot = *t;
  }
  if (query->before_us <= query->after_us) {
    responder.respond(400, textHeaders(), "before must be later than after\n");
    return;
  }
  std::vector<HttpHeader> headers{{"Content-Type", std::string(contentType(format))}};
  const int64_t horizon = archive_->horizonUs();
  TimestampFormatter ts;
  if (query->before_us <= horizon) {
    responder.respond(416, {{"Content-Type", "text/plain"}, {"Sluice-Archive-Start", ts.format(horizon)}},
                      "the window is beyond the archive's retention: it holds lines received since " +
                          ts.format(horizon) + "\n");
    return;
  }
  if (query->after_us < horizon && after != nullptr) {
    headers.push_back({"Sluice-Archive-Start", ts.format(horizon)});
    headers.push_back({"Sluice-Window-Truncated", "true"});
  }
  if (query->before_us > wallMicros()) headers.push_back({"Sluice-Window-Open", "true"});
  query->filter = std::move(filter);
  query->format = format;
  query->hostname = hostname_;
  auto run = std::make_shared<WindowRun>();
  run->owner = this;
  run->responder = responder;
  run->query = std::move(query);
  run->headers = std::move(headers);
  runs_.insert(run);
  nextChunk(run);
}

void AdminServer::nextChunk(const std::shared_ptr<WindowRun>& run) {
  archive_->read(run->query, [this, run, alive = std::weak_ptr<bool>(alive_)](Archive::Chunk chunk) {
    auto a = alive.lock();
    if (!a || !*a) return;
    if (!run->streaming) {
      if (chunk.done) {
        if (!chunk.error.empty()) run->headers.push_back({"Sluice-Archive-Error", chunk.error});
        run->responder.respond(200, std::move(run->headers), std::move(chunk.body));
        runs_.erase(run);
        return;
      }
      run->responder.startStream(200, run->headers);
      run->streaming = true;
    }
    if (!chunk.body.empty()) run->responder.write(std::move(chunk.body));
    if (chunk.done || !run->responder.connected() || closing_) {
      run->responder.end();
      runs_.erase(run);
      return;
    }
    if (run->responder.pendingBytes() <= kMaxUnsentWindowBytes) {
      nextChunk(run);
      return;
    }
    // The reader is slow: look again shortly rather than pile its answer up in memory.
    if (!run->wait) run->wait.init(run.get(), [this](uv_timer_t* t) { return uv_timer_init(loop_.get(), t); });
    uv_timer_start(run->wait.get(), &AdminServer::onWindowWait, 20, 20);
  });
}

void AdminServer::onWindowWait(uv_timer_t* timer) noexcept {
  auto* raw = ownerOf<WindowRun>(timer);
  if (raw == nullptr) return;
  AdminServer* self = raw->owner;
  std::shared_ptr<WindowRun> run;
  for (const auto& r : self->runs_) {
    if (r.get() == raw) run = r;
  }
  if (!run) return;
  const bool gone = !run->responder.connected() || self->closing_;
  if (!gone && run->responder.pendingBytes() > kMaxUnsentWindowBytes / 2) return;
  uv_timer_stop(timer);
  if (gone) {
    run->responder.end();
    // Not freed inside its own timer's callback.
    self->loop_.post([self, run, alive = std::weak_ptr<bool>(self->alive_)] {
      if (auto a = alive.lock(); a && *a) self->runs_.erase(run);
    });
    return;
  }
  self->nextChunk(run);
}

void AdminServer::close(std::function<void()> done) {
  if (closing_) return;
  closing_ = true;
  on_closed_ = std::move(done);
  if (server_) server_->stopListening();
  app_metrics_->close();
  streams_->closeAll();
  if (archive_) {
    archive_->close([this, alive = std::weak_ptr<bool>(alive_)] {
      auto a = alive.lock();
      if (!a || !*a) return;
      archive_closed_ = true;
      maybeClosed();
    });
  }
  // The last SSE chunks and WebSocket close frames get a moment to be written before the connections go.
  close_timer_.init(this, [&](uv_timer_t* t) { return uv_timer_init(loop_.get(), t); });
  uv_timer_start(close_timer_.get(), &AdminServer::onCloseTimer, 10, 10);
}

void AdminServer::onCloseTimer(uv_timer_t* timer) noexcept {
  auto* self = ownerOf<AdminServer>(timer);
  if (self == nullptr) return;
  // Wait up to half a second for the connections to finish their last writes and close themselves.
  const bool busy = (self->server_ && self->server_->connectionCount() > 0) || self->streams_->connectedClients() > 0;
  if (busy && ++self->close_ticks_ < 50) return;
  if (self->server_) self->server_->closeConnections();
  self->streams_->abortAll();
  self->maybeClosed();
}

void AdminServer::maybeClosed() {
  if (!closing_ || !archive_closed_ || !on_closed_) return;
  if (server_ && server_->connectionCount() > 0) return;
  close_timer_.close();
  loop_.post(std::exchange(on_closed_, nullptr));
}

}  // namespace sluice
