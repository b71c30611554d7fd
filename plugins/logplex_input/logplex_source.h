#pragma once
// The logplex input (shared/seeds/002): an HTTP(S) server accepting application/logplex-1 POSTs with basic auth
// token:<one of tokens>. Bodies are split strictly by octet counting and their frames forwarded as they are
// (Record::preformatted: no re-encoding), or with HOSTNAME / APP-NAME rewritten. A POST is answered 204 only
// once every frame of it is delivered or durably spooled by every sink (one AckEntry per request); 503 when
// that failed; 429 with Retry-After while the sinks push back. A Logplex-Frame-Id is remembered for a while,
// so a batch the sender retries (its answer was lost) is not forwarded twice.
#include <chrono>
#include <deque>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "agent/config/options.h"
#include "agent/core/ack.h"
#include "agent/core/log.h"
#include "agent/formats/logplex_body.h"
#include "agent/loop/loop.h"
#include "agent/net/http_server.h"
#include "agent/net/tls_context.h"
#include "agent/pipeline/router.h"
#include "agent/pipeline/source.h"

namespace sluice::plugins::logplex_input {

struct LogplexOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 8443;
  std::string path = "/logs";
  std::vector<std::string> tokens;
  std::vector<std::string> rewrite_hostname;   // per token; "" keeps the frame's
  std::vector<std::string> rewrite_app_name;   // per token; "" keeps the frame's
  TlsServerOptions tls;                        // no cert_file: plain HTTP
  size_t max_body = 4 << 20;
  size_t max_connections = 1024;
  std::chrono::milliseconds frame_id_ttl{600000};
  size_t frame_id_max = 100000;
  std::chrono::milliseconds retry_after{1000};
};

// Config-time checks of the options (listen address, limits), for `sluice check`.
void validateLogplexOptions(const OptionValues& values, ConfigErrors& errors);

class LogplexSource : public Source {
 public:
  // Reads the source's options (plugin.cc declares them); errors name the problem (an unreadable certificate, ...).
  static Result<std::unique_ptr<LogplexSource>> create(Loop& loop, Router& router, SourceInfo info,
                                                       const OptionValues& values);
  LogplexSource(Loop& loop, Router& router, SourceInfo info, LogplexOptions options);
  ~LogplexSource() override;

  Status start() override;
  void pause() override { paused_ = true; }
  void resume() override { paused_ = false; }
  // Stops accepting; requests still waiting for their acks are answered when they come, then the connections go.
  void stop() override;
  std::string describe() const override {
    return std::string("listens on ") + (options_.tls.cert_file.empty() ? "http://" : "https://") + options_.host +
           ":" + std::to_string(port()) + options_.path + ", " +
           std::to_string(options_.tokens.size()) + (options_.tokens.size() == 1 ? " token" : " tokens");
  }
  bool acksOutstanding() const override { return !pending_.empty(); }
  uint16_t port() const { return server_ ? server_->port() : 0; }

 private:
  struct Pending {
    AckEntry ack;
    std::vector<HttpResponder> responders;   // the request, and retries of it that arrived meanwhile
    std::string dedup_key;
  };
  struct Seen {
    uint64_t pending = 0;                    // the request in progress, 0 once answered
    bool ok = false;
    int64_t at_ms = 0;
  };

  void handle(HttpServerRequest&& request, HttpResponder responder);
  // The steps of handle(). Each answers the request itself when it stops it.
  int admit(const HttpServerRequest& request, HttpResponder& responder);        // token index, or -1
  bool readBody(const HttpServerRequest& request, HttpResponder& responder);    // into messages_
  bool answerRepeat(const std::string& dedup_key, HttpResponder& responder);    // a Logplex-Frame-Id seen before
  void forward(size_t token, size_t body_bytes, HttpResponder responder, std::string dedup_key);
  int authenticate(const HttpServerRequest& request) const;   // token index, or -1
  void reject(HttpResponder& responder, int status, const std::string& why, const std::string& peer,
              const char* error_type);
  void onAcked(uint64_t id, bool ok);
  void forgetOldFrameIds();
  void maybeFinish();

  Loop& loop_;
  Router& router_;
  LogplexOptions options_;
  std::unique_ptr<HttpServer> server_;
  std::unordered_map<uint64_t, std::unique_ptr<Pending>> pending_;
  std::unordered_map<std::string, Seen> seen_;
  std::deque<std::pair<std::string, int64_t>> seen_order_;
  uint64_t next_id_ = 0;
  bool paused_ = false;
  bool stopping_ = false;
  std::string scratch_;
  std::vector<LogplexMessage> messages_;
  RateLimitedLog reject_log_;
  size_t reserved_fds_ = 0;   // the connection cap, set aside in the process's descriptor accounting
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace sluice::plugins::logplex_input
