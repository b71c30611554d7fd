#include "agent/app/log_session_command.h"

#include <rapidjson/document.h>

#include <cstdio>
#include <iostream>

#include "agent/admin/log_format.h"
#include "agent/app/log_response.h"
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
  SessionReader(Loop& loop, const LogsOptions& o) : loop_(loop), response_(o.format) {}
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
    if (!response_.feed(data, len) || response_.complete()) done("");
  }
  void onStreamClosed(const Error& why) noexcept override {
    if (!finished_) done(response_.status() == 0 ? why.message : "");
  }

 private:
  void done(const std::string& connect_error) {
    if (finished_) return;
    finished_ = true;
    if (!connect_error.empty()) {
      std::cerr << "sluice logs: cannot reach the log session's server: " << connect_error << "\n";
      exit_code_ = 1;
    } else if (response_.status() != 200) {
      std::cerr << "sluice logs: the API answered " << response_.status() << ": " << response_.errorBody()
                << (response_.status() == 404 ? " (expired, revoked, or a one-read session already read)\n" : "\n");
      exit_code_ = 1;
    } else if (response_.eventStream()) {
      std::cerr << "sluice logs: the log session ended\n";
    }
    // Not from within the stream's own callback.
    loop_.post([this] { stream_.reset(); });
  }

  Loop& loop_;
  std::unique_ptr<Stream> stream_;
  LogResponse response_;
  bool finished_ = false;
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
    req.headers = authHeaders(o);
    req.headers.push_back({"Content-Type", "application/json"});
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
