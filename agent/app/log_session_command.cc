#include "agent/app/log_session_command.h"

#include <llhttp.h>
#include <strings.h>
#include <rapidjson/document.h>

#include <cstdio>
#include <iostream>

#include "agent/admin/log_format.h"
#include "agent/core/url.h"
#include "agent/loop/loop.h"
#include "agent/net/http_client.h"
#include "agent/net/stream.h"
#include "agent/net/tls_context.h"

namespace sluice {
namespace {

std::string requestBody(const LogsOptions& o) {
  std::string body = "{\"lines\":" + std::to_string(o.n) + ",\"tail\":" + (o.tail ? "true" : "false");
  if (!o.filter.empty()) {
    body += ",\"filter\":";
    appendJsonString(body, o.filter);
  }
  return body + "}";
}

// Reads one log session's URL over a plain socket (HttpClient answers whole responses only): the body as it is
// (a one-shot session), or Server-Sent Events rendered as `sluice logs -f` prints them (a tail session).
class SessionReader final : public Stream::Handler {
 public:
  SessionReader(Loop& loop, const LogsOptions& o) : loop_(loop), o_(o) {
    llhttp_settings_init(&settings_);
    settings_.on_header_field = [](llhttp_t* p, const char* at, size_t n) {
      auto* self = static_cast<SessionReader*>(p->data);
      if (self->in_value_) self->field_.clear();
      self->in_value_ = false;
      self->field_.append(at, n);
      return 0;
    };
    settings_.on_header_value = [](llhttp_t* p, const char* at, size_t n) {
      auto* self = static_cast<SessionReader*>(p->data);
      self->in_value_ = true;
      if (self->field_.size() == 12 && strncasecmp(self->field_.data(), "content-type", 12) == 0) {
        self->sse_mode_ = std::string_view(at, n).find("text/event-stream") != std::string_view::npos;
      }
      return 0;
    };
    settings_.on_headers_complete = [](llhttp_t* p) {
      static_cast<SessionReader*>(p->data)->status_ = p->status_code;
      return 0;
    };
    settings_.on_body = [](llhttp_t* p, const char* at, size_t n) {
      static_cast<SessionReader*>(p->data)->onBody(at, n);
      return 0;
    };
    settings_.on_message_complete = [](llhttp_t* p) {
      static_cast<SessionReader*>(p->data)->complete_ = true;
      return 0;
    };
    llhttp_init(&parser_, HTTP_RESPONSE, &settings_);
    parser_.data = this;
  }
  ~SessionReader() override {
    if (stream_) stream_->close();
  }

  Status start(const ParsedUrl& url) {
    Stream::ConnectOptions co;
    co.host = url.host;
    co.port = url.port;
    co.connect_timeout = std::chrono::seconds(10);
    if (url.scheme == "https") {
      auto tls = TlsContext::makeClient(TlsClientOptions{});
      if (!tls) return tls.takeError();
      co.tls = *tls;
    }
    stream_ = Stream::connect(loop_, co, this);
    auto req = std::make_shared<std::string>("GET " + url.target + " HTTP/1.1\r\nHost: " + url.authority() +
                                             "\r\nAccept: text/event-stream\r\nUser-Agent: sluice/" SLUICE_VERSION
                                             " (logs)\r\nConnection: close\r\n\r\n");
    uv_buf_t b = uv_buf_init(req->data(), static_cast<unsigned>(req->size()));
    stream_->write(&b, 1, [req](int) {});
    return {};
  }
  int exitCode() const { return exit_code_; }

  void onStreamData(const char* data, size_t len) noexcept override {
    if (llhttp_execute(&parser_, data, len) != HPE_OK) complete_ = true;
    if (complete_) done("");
  }
  void onStreamClosed(const Error& why) noexcept override {
    if (!finished_) done(status_ == 0 ? why.message : "");
  }

 private:
  void onBody(const char* at, size_t n) {
    if (status_ != 200) {
      if (error_body_.size() < 4096) error_body_.append(at, std::min<size_t>(n, 4096));
      return;
    }
    std::string out;
    if (sse_mode_) {
      sse_.append(at, n);
      out = renderSseEvents(sse_, o_.format, &last_id_);
    } else {
      out.assign(at, n);
    }
    std::fwrite(out.data(), 1, out.size(), stdout);
    std::fflush(stdout);
  }

  void done(const std::string& connect_error) {
    if (finished_) return;
    finished_ = true;
    if (!connect_error.empty()) {
      std::cerr << "sluice logs: cannot reach the log session's server: " << connect_error << "\n";
      exit_code_ = 1;
    } else if (status_ != 200) {
      while (!error_body_.empty() && (error_body_.back() == '\n' || error_body_.back() == '\r')) error_body_.pop_back();
      std::cerr << "sluice logs: the API answered " << status_ << ": " << error_body_
                << (status_ == 404 ? " (expired, revoked, or a one-read session already read)\n" : "\n");
      exit_code_ = 1;
    } else if (sse_mode_) {
      std::cerr << "sluice logs: the log session ended\n";
    }
    // Not from within the stream's own callback.
    loop_.post([this] { stream_.reset(); });
  }

  Loop& loop_;
  const LogsOptions& o_;
  std::unique_ptr<Stream> stream_;
  llhttp_settings_t settings_{};
  llhttp_t parser_{};
  std::string field_;
  bool in_value_ = false;
  bool sse_mode_ = false;
  int status_ = 0;
  bool complete_ = false;
  bool finished_ = false;
  std::string error_body_;
  std::string sse_;
  uint64_t last_id_ = 0;
  int exit_code_ = 0;
};

}  // namespace

int createLogSession(const LogsOptions& o, const ApiEndpoint& e) {
  int code = 1;
  Loop loop;
  {
    HttpClient::Options co;
    co.host = e.host;
    co.port = e.port;
    co.max_connections = 1;
    co.request_timeout = std::chrono::seconds(30);
    HttpClient client(loop, co);
    const std::string body = requestBody(o);
    HttpRequest req;
    req.method = "POST";
    req.target = "/log-sessions";
    req.headers = {{"User-Agent", "sluice/" SLUICE_VERSION " (logs)"}, {"Content-Type", "application/json"}};
    if (!o.token.empty()) req.headers.push_back({"Authorization", "Bearer " + o.token});
    req.body = body;
    client.send(std::move(req), [&](Result<HttpResponse> r) {
      client.close();
      if (!r) {
        std::cerr << "sluice logs: cannot reach the agent's API at " << e.host << ":" << e.port << ": "
                  << r.error().message << " (is the agent running, with api.listen set?)\n";
        return;
      }
      rapidjson::Document d;
      d.Parse(r->body.c_str(), r->body.size());
      if (r->status != 201 || d.HasParseError() || !d.IsObject() || !d.HasMember("url") || !d["url"].IsString()) {
        std::cerr << "sluice logs: the API answered " << r->status << ": " << r->body;
        if (r->body.empty() || r->body.back() != '\n') std::cerr << "\n";
        return;
      }
      std::cout << d["url"].GetString() << std::endl;
      if (d.HasMember("id") && d["id"].IsString() && d.HasMember("expires_at") && d["expires_at"].IsString()) {
        std::cerr << "log session " << d["id"].GetString() << ", until " << d["expires_at"].GetString()
                  << "; revoke it with: curl -X DELETE -H 'Authorization: Bearer …' http://" << e.host << ":"
                  << e.port << "/log-sessions/" << d["id"].GetString() << "\n";
      }
      code = 0;
    });
    loop.run();
  }
  loop.close();
  return code;
}

int readLogSession(const LogsOptions& o) {
  Result<ParsedUrl> url = parseUrl(o.session_url);
  if (!url || (url->scheme != "http" && url->scheme != "https")) {
    std::cerr << "sluice logs: not a log session URL: " << (url ? "an http(s):// URL is expected" : url.error().message)
              << "\n";
    return 2;
  }
  Loop loop;
  int code = 1;
  {
    SessionReader reader(loop, o);
    Status st = reader.start(*url);
    if (!st) {
      std::cerr << "sluice logs: " << st.error().message << "\n";
    } else {
      loop.run();
      code = reader.exitCode();
    }
  }
  loop.close();
  return code;
}

}  // namespace sluice
