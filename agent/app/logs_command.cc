#include "agent/app/logs_command.h"

#include <spdlog/spdlog.h>

#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <iostream>

#include "agent/admin/query_string.h"
#include "agent/app/cli.h"
#include "agent/app/log_response.h"
#include "agent/app/log_session_command.h"
#include "agent/core/clock.h"
#include "agent/loop/loop.h"
#include "agent/net/http_client.h"
#include "agent/net/stream.h"

namespace sluice {
namespace {

using Endpoint = ApiEndpoint;

std::string apiFormat(const std::string& f) { return f == "json" ? "ndjson" : f; }

std::string target(const LogsOptions& o, bool stream, bool resume) {
  std::string t = "/logs?format=" + urlEncode(apiFormat(o.format));
  if (!o.after.empty() || !o.before.empty()) {
    if (!o.after.empty()) t += "&after=" + urlEncode(o.after);
    if (!o.before.empty()) t += "&before=" + urlEncode(o.before);
  } else {
    t += "&n=" + std::to_string(resume ? 0 : o.n);
  }
  if (!o.filter.empty()) t += "&filter=" + urlEncode(o.filter);
  if (stream) t += "&stream=true";
  return t;
}

// One GET of the admin API; `done` gets the answer (or the error when the agent cannot be reached).
void fetch(const LogsOptions& o, const Endpoint& e, std::string path,
           const std::function<void(Result<HttpResponse>&)>& done) {
  Loop loop;
  {
    HttpClient::Options co;
    co.host = e.host;
    co.port = e.port;
    co.max_connections = 1;
    co.request_timeout = std::chrono::minutes(10);
    co.max_response_body = 1ULL << 30;  // a window's answer, printed at once
    HttpClient client(loop, co);
    HttpRequest req;
    req.method = "GET";
    req.target = std::move(path);
    req.headers = authHeaders(o);
    client.send(std::move(req), [&](Result<HttpResponse> r) {
      client.close();  // no keep-alive connection may hold the command open
      done(r);
    });
    loop.run();
  }
  loop.close();
}

void unreachable(const char* command, const Endpoint& e, const Error& why) {
  std::cerr << "sluice " << command << ": cannot reach the agent's API at " << e.host << ":" << e.port << ": "
            << why.message << " (is the agent running, with api.listen set?)\n";
}

int dump(const LogsOptions& o, const Endpoint& e) {
  int code = 1;
  fetch(o, e, target(o, false, false), [&](Result<HttpResponse>& r) {
    if (!r) {
      unreachable("logs", e, r.error());
      return;
    }
    if (r->status != 200) {
      std::cerr << "sluice logs: the API answered " << r->status << ": " << r->body;
      if (r->body.empty() || r->body.back() != '\n') std::cerr << "\n";
      return;
    }
    if (r->body_bytes > r->body.size()) {
      std::cerr << "sluice logs: the answer is larger than 1 GiB; ask for a shorter window\n";
      return;
    }
    std::fwrite(r->body.data(), 1, r->body.size(), stdout);
    std::fflush(stdout);
    code = 0;
  });
  return code;
}

// Follows GET /logs?stream=true as Server-Sent Events over a plain socket (HttpClient answers whole responses
// only), reconnecting after a second with Last-Event-ID when the connection ends.
class Follower final : public Stream::Handler {
 public:
  Follower(Loop& loop, LogsOptions o, Endpoint e)
      : loop_(loop), o_(std::move(o)), e_(std::move(e)), response_(o_.format) {
    timer_.init(this, [&](uv_timer_t* t) { return uv_timer_init(loop_.get(), t); });
  }
  ~Follower() override {
    if (stream_) stream_->close();
  }

  void connect() {
    response_.reset();
    Stream::ConnectOptions co;
    co.host = e_.host;
    co.port = e_.port;
    co.connect_timeout = std::chrono::seconds(5);
    stream_ = Stream::connect(loop_, co, this);
    const uint64_t last_id = response_.lastId();
    std::string req = "GET " + target(o_, true, last_id > 0) + " HTTP/1.1\r\nHost: " + e_.host + ":" +
                      std::to_string(e_.port) + "\r\nAccept: text/event-stream\r\n";
    for (const auto& h : authHeaders(o_)) req += h.name + ": " + h.value + "\r\n";
    if (last_id > 0) req += "Last-Event-ID: " + std::to_string(last_id) + "\r\n";
    req += "\r\n";
    auto owned = std::make_shared<std::string>(std::move(req));
    uv_buf_t b = uv_buf_init(owned->data(), static_cast<unsigned>(owned->size()));
    stream_->write(&b, 1, [owned](int) {});
  }

  int exitCode() const { return exit_code_; }

  void onStreamConnected() noexcept override {
    if (reconnecting_) {
      std::cerr << "sluice logs: reconnected\n";
      reconnecting_ = false;
    }
  }
  void onStreamData(const char* data, size_t len) noexcept override {
    const bool ended = !response_.feed(data, len) || response_.complete();
    if (ended && failed()) answeredError();
  }
  void onStreamClosed(const Error& why) noexcept override {
    if (failed()) {
      answeredError();
      return;
    }
    if (!reconnecting_) {
      std::cerr << "sluice logs: " << (response_.status() == 200 ? "the stream ended" : "cannot connect to " + e_.host + ":" + std::to_string(e_.port) + ": " + why.message)
                << "; reconnecting\n";
    }
    reconnecting_ = true;
    // Not from within the stream's own callback: the old stream goes on a later turn.
    loop_.post([this] { stream_.reset(); });
    uv_timer_start(timer_.get(), [](uv_timer_t* t) {
      if (auto* self = ownerOf<Follower>(t)) self->connect();
    }, 1000, 0);
  }

 private:
  bool failed() const { return response_.status() != 0 && response_.status() != 200; }
  void answeredError() {
    std::cerr << "sluice logs: the API answered " << response_.status() << ": " << response_.errorBody() << "\n";
    exit_code_ = 1;
    finish();
  }

  void finish() {
    timer_.close();
    if (stream_) stream_->close();
  }

  Loop& loop_;
  LogsOptions o_;
  Endpoint e_;
  std::unique_ptr<Stream> stream_;
  UvHandle<uv_timer_t> timer_;
  LogResponse response_;
  bool reconnecting_ = false;
  int exit_code_ = 0;
};

}  // namespace

std::string logsUsageText() {
  return R"(Usage: sluice logs [-n N] [--filter F] [-f|--follow] [--after T] [--before T] [-F text|raw|json|clf]
                   [--api ADDR] [--token TOKEN] [FILTER]

Reads the running agent's logs through its admin API (api.listen).
  -n N                the last N lines (default 100)
  --filter F          a source name (web-1; a tail source's: all its files), a type or name prefix (web), a tail
                      source's file (access.log), or a regular expression (web|worker)
  -f, --follow        then print new lines as they arrive (reconnects; stop with Ctrl-C)
  --after T           lines received at or after T (ISO 8601: 2020-03-29, 2020-03-29T11:01:02.120000Z); needs api.archive
  --before T          lines received before T
  -F, --format F      text (TIMESTAMP [SOURCE] MESSAGE, the default; [SOURCE FILE] for a tail source's lines),
                      raw (the message), json (NDJSON: source, type, file, message, ...), clf
  --api ADDR          the API's HOST:PORT (default 127.0.0.1:8089)
  --token TOKEN       api.token, when set (default: $SLUICE_API_TOKEN)

       sluice logs --session [--lines N] [--tail] [FILTER]
creates a log session and prints its URL: anyone with the URL reads the last N lines (default 100) once, or with
--tail those lines and then the new ones, without the API token, until api.sessions.ttl passes.
       sluice logs URL
reads a log session (and follows it when it is a tail session).
)";
}

Result<LogsOptions> parseLogsArgs(const std::vector<std::string>& args) {
  LogsOptions o;
  if (const char* t = std::getenv("SLUICE_API_TOKEN")) o.token = t;
  for (size_t i = 0; i < args.size(); ++i) {
    const CliArgument arg = splitInlineValue(args[i]);
    const std::string& a = arg.flag;
    auto take = [&] { return flagValue(arg, args, i); };
    if (a == "-f" || a == "--follow" || a == "--session" || a == "--tail") {
      (a == "--session" ? o.session : a == "--tail" ? o.tail : o.follow) = true;
      continue;
    }
    if (a.empty() || a[0] != '-') {
      // A log session's URL to read, or the filter of the lines (of a new session, or of this read).
      if (a.rfind("http://", 0) == 0 || a.rfind("https://", 0) == 0) {
        if (!o.session_url.empty()) return Error{"one log session URL at a time"};
        o.session_url = a;
      } else {
        if (!o.filter.empty()) return Error{"one filter only ('" + o.filter + "' and '" + a + "')"};
        o.filter = a;
      }
      continue;
    }
    if (a == "-h" || a == "--help") return Error{"help"};
    Result<std::string> v = [&]() -> Result<std::string> {
      if (a == "-n" || a == "--lines" || a == "--filter" || a == "--after" || a == "--before" || a == "-F" ||
          a == "--format" || a == "--api" || a == "--token") {
        return take();
      }
      return Error{"unknown argument '" + args[i] + "'"};
    }();
    if (!v) return v.takeError();
    if (a == "-n" || a == "--lines") {
      uint64_t n = 0;
      auto [end, ec] = std::from_chars(v->data(), v->data() + v->size(), n);
      if (ec != std::errc() || end != v->data() + v->size()) return Error{"-n needs a number, not '" + *v + "'"};
      o.n = static_cast<size_t>(n);
      o.n_set = true;
    } else if (a == "--filter") {
      o.filter = *v;
    } else if (a == "--after" || a == "--before") {
      if (Result<int64_t> t = parseTimestampMicros(*v); !t) return Error{a + ": " + t.error().message};
      (a == "--after" ? o.after : o.before) = *v;
    } else if (a == "-F" || a == "--format") {
      if (*v != "text" && *v != "raw" && *v != "json" && *v != "clf") {
        return Error{"-F must be text, raw, json or clf, not '" + *v + "'"};
      }
      o.format = *v;
    } else if (a == "--api") {
      o.api = *v;
    } else if (a == "--token") {
      o.token = *v;
    }
  }
  if (o.tail && !o.session) return Error{"--tail goes with --session (to follow the agent's lines: -f)"};
  if (o.session && (o.follow || !o.after.empty() || !o.before.empty() || !o.session_url.empty())) {
    return Error{"--session takes --lines, --tail and a filter only"};
  }
  if (!o.session_url.empty() && (o.follow || o.n_set || !o.filter.empty() || !o.after.empty() || !o.before.empty())) {
    return Error{"a log session's URL says what to read: only -F goes with it"};
  }
  if (o.follow && (!o.after.empty() || !o.before.empty())) {
    return Error{"--follow reads live lines; it cannot be combined with --after/--before"};
  }
  return o;
}

int runLogsCommand(const LogsOptions& o) {
  if (!o.session_url.empty()) return readLogSession(o);
  Result<Endpoint> e = parseApiAddress(o.api);
  if (!e) {
    std::cerr << "sluice logs: " << e.error().message << "\n";
    return 2;
  }
  if (o.session) return createLogSession(o, *e);
  if (!o.follow) return dump(o, *e);
  Loop loop;
  int code;
  {
    Follower f(loop, o, *e);
    f.connect();
    loop.run();
    code = f.exitCode();
  }
  loop.close();
  return code;
}

}  // namespace sluice

namespace sluice {

int runHealthCommand(const std::vector<std::string>& args) {
  LogsOptions o;
  if (const char* t = std::getenv("SLUICE_API_TOKEN")) o.token = t;
  // --ready asks /readyz (the agent runs and is not stopping) rather than /healthz (its sinks deliver): a liveness
  // check that a drain's outage does not fail, since restarting the agent would not end it.
  std::string path = "/healthz";
  for (size_t i = 0; i < args.size(); ++i) {
    if ((args[i] == "--api" || args[i] == "--token") && i + 1 < args.size()) {
      (args[i] == "--api" ? o.api : o.token) = args[i + 1];
      ++i;
    } else if (args[i] == "--ready") {
      path = "/readyz";
    } else {
      std::cerr << "usage: sluice health [--ready] [--api HOST:PORT] [--token T]\n"
                   "  asks the running agent's GET /healthz (--ready: /readyz): exit 0 when healthy (ready), 1 "
                   "otherwise (container health checks)\n";
      return 2;
    }
  }
  Result<Endpoint> e = parseApiAddress(o.api);
  if (!e) {
    std::cerr << "sluice health: " << e.error().message << "\n";
    return 2;
  }
  int code = 1;
  fetch(o, *e, path, [&](Result<HttpResponse>& r) {
    if (!r) {
      unreachable("health", *e, r.error());
      return;
    }
    std::fwrite(r->body.data(), 1, r->body.size(), stdout);
    if (!r->body.empty() && r->body.back() != '\n') std::fputc('\n', stdout);
    std::fflush(stdout);
    code = r->status == 200 ? 0 : 1;
  });
  return code;
}


int getFromApi(const char* command, const std::string& api, const std::string& token, std::string path, int* status,
               std::string* body) {
  LogsOptions o;
  o.api = api;
  o.token = token;
  Result<Endpoint> e = parseApiAddress(o.api);
  if (!e) {
    std::cerr << "sluice " << command << ": " << e.error().message << "\n";
    return 2;
  }
  int code = 1;
  fetch(o, *e, std::move(path), [&](Result<HttpResponse>& r) {
    if (!r) {
      unreachable(command, *e, r.error());
      return;
    }
    *status = r->status;
    *body = std::move(r->body);
    code = 0;
  });
  return code;
}

}  // namespace sluice
