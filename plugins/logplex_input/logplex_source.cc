#include "plugins/logplex_input/logplex_source.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <spdlog/spdlog.h>
#include <strings.h>

#include <algorithm>
#include <charconv>

#include "agent/config/tls_options.h"
#include "agent/core/clock.h"
#include "agent/core/fd_limit.h"
#include "agent/core/listen_address.h"
#include "agent/core/placeholders.h"
#include "agent/net/http_wire.h"
#include "agent/formats/logplex_body.h"
#include "agent/pipeline/rfc5424_framer.h"
#include "agent/formats/syslog_header.h"

namespace sluice::plugins::logplex_input {
namespace {

// Basic credentials: "Basic base64(user:password)" → the password when the user is "token".
bool basicPassword(const std::string* header, std::string* password) {
  if (header == nullptr || header->size() < 6 || strncasecmp(header->c_str(), "Basic ", 6) != 0) return false;
  std::string_view b64 = std::string_view(*header).substr(6);
  while (!b64.empty() && b64.front() == ' ') b64.remove_prefix(1);
  std::string decoded(b64.size(), '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(decoded.data()),
                          reinterpret_cast<const unsigned char*>(b64.data()), static_cast<int>(b64.size()));
  if (n < 0) return false;
  size_t pad = 0;
  if (!b64.empty() && b64.back() == '=') ++pad;
  if (b64.size() > 1 && b64[b64.size() - 2] == '=') ++pad;
  decoded.resize(static_cast<size_t>(n) - std::min<size_t>(pad, static_cast<size_t>(n)));
  size_t colon = decoded.find(':');
  if (colon == std::string::npos || decoded.substr(0, colon) != "token") return false;
  *password = decoded.substr(colon + 1);
  return true;
}

std::string expandRewrite(const std::string& tmpl, const std::string& token_name, const std::string& source) {
  return expandPlaceholders(tmpl, [&](std::string_view name) -> std::optional<std::string_view> {
    if (name == "token_name") return token_name;
    if (name == "source") return source;
    return std::nullopt;
  });
}

// Half the open-file limit at most: the other half stays for tailed files, sinks, the spool and the admin API, so a
// flood of connections makes this input refuse (counted) rather than leave the rest of the agent without
// descriptors. The cap is reserved (reserveDescriptors), so the tail sources' budget leaves it free.
size_t connectionCap(size_t configured) {
  return std::max<size_t>(1, std::min<size_t>(configured, static_cast<size_t>(fdLimit() / 2)));
}

}  // namespace

void validateLogplexOptions(const OptionValues& v, ConfigErrors& errors) {
  if (Result<ListenAddress> addr = parseListenAddress(v.str("listen")); !addr) {
    errors.add(v.mark("listen"), "listen: " + addr.error().message);
  }
  if (v.count("max_connections") < 1) errors.add(v.mark("max_connections"), "max_connections must be at least 1");
  (void)readTlsServerOptions(v, errors);
}

Result<std::unique_ptr<LogplexSource>> LogplexSource::create(Loop& loop, Router& router, SourceInfo info,
                                                             const OptionValues& v) {
  LogplexOptions o;
  Result<ListenAddress> addr = parseListenAddress(v.str("listen"));
  if (!addr) return Error{"source " + info.name + ": listen: " + addr.error().message};
  o.host = addr->bindHost();
  o.port = addr->port;
  o.max_connections = static_cast<size_t>(v.count("max_connections"));
  o.path = v.str("path");
  o.tokens = v.list("tokens");
  if (o.tokens.empty()) return Error{"source " + info.name + ": tokens must list at least one token"};
  for (const auto& t : o.tokens) {
    if (t.empty()) return Error{"source " + info.name + ": a token must not be empty (is an environment variable unset?)"};
  }
  const auto& names = v.map("token_names");
  for (const auto& t : o.tokens) {
    auto it = names.find(t);
    std::string token_name = it != names.end() ? it->second : info.name;
    std::string host = v.str("rewrite.hostname").empty() ? "" : expandRewrite(v.str("rewrite.hostname"), token_name, info.name);
    std::string app = v.str("rewrite.app_name").empty() ? "" : expandRewrite(v.str("rewrite.app_name"), token_name, info.name);
    o.rewrite_hostname.push_back(host.empty() ? "" : sanitizeHeaderField(host, kMaxHostname));
    o.rewrite_app_name.push_back(app.empty() ? "" : sanitizeHeaderField(app, kMaxAppName));
  }
  ConfigErrors tls_errors;
  o.tls = readTlsServerOptions(v, tls_errors);
  if (!tls_errors.empty()) return Error{"source " + info.name + ": " + tls_errors.messages().front()};
  o.max_body = static_cast<size_t>(v.size("max_body"));
  o.frame_id_ttl = v.duration("frame_id_ttl");
  o.retry_after = v.duration("retry_after");
  return std::make_unique<LogplexSource>(loop, router, std::move(info), std::move(o));
}

LogplexSource::LogplexSource(Loop& loop, Router& router, SourceInfo info, LogplexOptions options)
    : Source(std::move(info)), loop_(loop), router_(router), options_(std::move(options)) {}

LogplexSource::~LogplexSource() {
  *alive_ = false;
  server_.reset();
  releaseDescriptors(reserved_fds_);
}

Status LogplexSource::start() {
  HttpServer::Options o;
  o.host = options_.host;
  o.port = options_.port;
  o.max_body = options_.max_body;
  o.max_connections = connectionCap(options_.max_connections);
  reserveDescriptors(o.max_connections);
  reserved_fds_ = o.max_connections;
  o.on_turned_away = [this](const char* what) noexcept { counters_.errors[what] += 1; };
  if (!options_.tls.cert_file.empty()) {
    auto tls = TlsContext::makeServer(options_.tls);
    if (!tls) return Error{"tls: " + tls.error().message};
    o.tls = *tls;
  }
  server_ = std::make_unique<HttpServer>(loop_, o, [this](HttpServerRequest&& r, HttpResponder resp) noexcept {
    handle(std::move(r), std::move(resp));
  });
  auto port = server_->listen();
  if (!port) return port.takeError();
  spdlog::info("source {}: accepting application/logplex-1 POSTs on {}://{}:{}{} (at most {} connections)", info_.name,
               options_.tls.cert_file.empty() ? "http" : "https", options_.host, *port, options_.path, o.max_connections);
  if (router_.pausedFor(info_.name)) paused_ = true;
  return {};
}

int LogplexSource::authenticate(const HttpServerRequest& request) const {
  std::string password;
  if (!basicPassword(request.header("Authorization"), &password)) return -1;
  int found = -1;
  // Every token is compared, in constant time, whatever matched before.
  for (size_t i = 0; i < options_.tokens.size(); ++i) {
    const std::string& t = options_.tokens[i];
    bool eq = t.size() == password.size() && CRYPTO_memcmp(t.data(), password.data(), t.size()) == 0;
    if (eq && found < 0) found = static_cast<int>(i);
  }
  return found;
}

void LogplexSource::reject(HttpResponder& responder, int status, const std::string& why, const std::string& peer,
                           const char* error_type) {
  counters_.errors[error_type] += 1;
  uint64_t suppressed = 0;
  if (reject_log_.allow(&suppressed)) {
    spdlog::warn("source {}: answered {} to a POST from {}: {}{}", info_.name, status, peer, why,
                 suppressedNote(suppressed));
  }
  std::vector<HttpHeader> headers{{"Content-Type", "text/plain"}};
  if (status == 401) headers.push_back({"WWW-Authenticate", "Basic realm=\"sluice\""});
  if (status == 429 || status == 503) {
    headers.push_back({"Retry-After", std::to_string(std::max<int64_t>(1, options_.retry_after.count() / 1000))});
  }
  if (stopping_) headers.push_back({"Connection", "close"});
  responder.respond(status, std::move(headers), why + "\n");
}

void LogplexSource::handle(HttpServerRequest&& request, HttpResponder responder) {
  const int token = admit(request, responder);
  if (token < 0 || !readBody(request, responder)) return;
  std::string dedup_key;
  if (const std::string* frame_id = request.header("Logplex-Frame-Id"); frame_id != nullptr && !frame_id->empty()) {
    dedup_key = std::to_string(token) + ":" + *frame_id;
    if (answerRepeat(dedup_key, responder)) return;
  }
  if (stopping_) {
    reject(responder, 503, "shutting down", request.peer, "stopping");
    return;
  }
  if (paused_) {
    reject(responder, 429, "the sinks are full; retry later", request.peer, "backpressure");
    return;
  }
  forward(static_cast<size_t>(token), request.body.size(), std::move(responder), std::move(dedup_key));
}

int LogplexSource::admit(const HttpServerRequest& request, HttpResponder& responder) {
  if (request.path() != options_.path) {
    reject(responder, 404, "no such path (POST to " + options_.path + ")", request.peer, "not_found");
    return -1;
  }
  if (request.method != "POST") {
    reject(responder, 405, "only POST is accepted", request.peer, "bad_method");
    return -1;
  }
  const int token = authenticate(request);
  if (token < 0) {
    reject(responder, 401, "missing or unknown token (basic auth token:<token>)", request.peer, "unauthorized");
    return -1;
  }
  const std::string* type = request.header("Content-Type");
  std::string_view media = type != nullptr ? std::string_view(*type).substr(0, type->find(';')) : "";
  while (!media.empty() && media.back() == ' ') media.remove_suffix(1);
  if (media.size() != 21 || strncasecmp(media.data(), "application/logplex-1", 21) != 0) {
    reject(responder, 415, "Content-Type must be application/logplex-1", request.peer, "bad_content_type");
    return -1;
  }
  return token;
}

bool LogplexSource::readBody(const HttpServerRequest& request, HttpResponder& responder) {
  messages_.clear();
  Status parsed = parseLogplexBody(request.body, &messages_);
  if (!parsed) {
    reject(responder, 400, parsed.error().message, request.peer, "malformed_body");
    return false;
  }
  if (const std::string* count = request.header("Logplex-Msg-Count")) {
    uint64_t n = 0;
    auto [end, ec] = std::from_chars(count->data(), count->data() + count->size(), n);
    if (ec != std::errc() || end != count->data() + count->size() || n != messages_.size()) {
      reject(responder, 400,
             "Logplex-Msg-Count is " + *count + " but the body holds " + std::to_string(messages_.size()) + " frames",
             request.peer, "msg_count_mismatch");
      return false;
    }
  }
  return true;
}

bool LogplexSource::answerRepeat(const std::string& dedup_key, HttpResponder& responder) {
  forgetOldFrameIds();
  auto seen = seen_.find(dedup_key);
  if (seen == seen_.end()) return false;
  if (seen->second.pending != 0) {
    // The same batch again while the first is still on its way: both get the first one's answer.
    auto p = pending_.find(seen->second.pending);
    if (p != pending_.end()) {
      counters_.dropped["duplicate"] += messages_.size();
      p->second->responders.push_back(std::move(responder));
      return true;
    }
  } else if (seen->second.ok) {
    counters_.dropped["duplicate"] += messages_.size();
    responder.respond(204, {}, "");
    return true;
  }
  seen_.erase(seen);  // it failed before: forward it again
  return false;
}

void LogplexSource::forward(size_t token, size_t body_bytes, HttpResponder responder, std::string dedup_key) {
  const uint64_t id = ++next_id_;
  auto pending = std::make_unique<Pending>();
  Pending* p = pending.get();
  p->responders.push_back(std::move(responder));
  p->dedup_key = dedup_key;
  pending_.emplace(id, std::move(pending));
  if (!dedup_key.empty()) {
    seen_[dedup_key] = Seen{id, false, static_cast<int64_t>(loop_.nowMs())};
    seen_order_.emplace_back(dedup_key, static_cast<int64_t>(loop_.nowMs()));
  }
  p->ack.open([this, id, alive = std::weak_ptr<bool>(alive_)](AckEntry&, bool ok) noexcept {
    if (auto a = alive.lock(); a && *a) onAcked(id, ok);
  });

  Record record;
  record.received_us = wallMicros();
  record.source = &info_;
  record.preformatted = true;
  record.ack = &p->ack;
  const std::string& host = options_.rewrite_hostname[token];
  const std::string& app = options_.rewrite_app_name[token];
  const bool rewrite = !host.empty() || !app.empty();
  for (const LogplexMessage& msg : messages_) {
    record.severity = static_cast<Severity>(msg.header.pri & 7);
    if (rewrite) {
      rewriteSyslogHeader(msg.text, msg.header, host, app, scratch_);
      record.message = scratch_;
    } else {
      record.message = msg.text;
    }
    router_.route(record);
  }
  counters_.received_events += messages_.size();
  counters_.received_bytes += body_bytes;
  p->ack.release(true);  // our own reference: the sinks' batches hold theirs
}

void LogplexSource::onAcked(uint64_t id, bool ok) {
  auto it = pending_.find(id);
  if (it == pending_.end()) return;
  Pending& p = *it->second;
  if (!p.dedup_key.empty()) {
    auto seen = seen_.find(p.dedup_key);
    if (seen != seen_.end() && seen->second.pending == id) {
      seen->second.pending = 0;
      seen->second.ok = ok;
    }
  }
  for (HttpResponder& r : p.responders) {
    if (ok) {
      r.respond(204, stopping_ ? std::vector<HttpHeader>{{"Connection", "close"}} : std::vector<HttpHeader>{}, "");
    } else {
      std::vector<HttpHeader> h{{"Content-Type", "text/plain"},
                                {"Retry-After", std::to_string(std::max<int64_t>(1, options_.retry_after.count() / 1000))}};
      if (stopping_) h.push_back({"Connection", "close"});
      r.respond(503, std::move(h), "the frames could not be delivered or spooled; send them again\n");
    }
  }
  if (!ok) counters_.errors["undelivered"] += 1;
  // Not inside the entry's own callback: freed on the next turn.
  loop_.post([this, id, alive = std::weak_ptr<bool>(alive_)]() noexcept {
    auto a = alive.lock();
    if (!a || !*a) return;
    pending_.erase(id);
    maybeFinish();
  });
}

void LogplexSource::forgetOldFrameIds() {
  const int64_t now = static_cast<int64_t>(loop_.nowMs());
  while (!seen_order_.empty() &&
         (now - seen_order_.front().second > options_.frame_id_ttl.count() || seen_order_.size() > options_.frame_id_max)) {
    auto it = seen_.find(seen_order_.front().first);
    // Only the entry this record made (a re-sent id may have a newer one), and never one still in progress.
    if (it != seen_.end() && it->second.at_ms == seen_order_.front().second && it->second.pending == 0) {
      seen_.erase(it);
    }
    seen_order_.pop_front();
  }
}

void LogplexSource::stop() {
  if (stopping_) return;
  stopping_ = true;
  if (server_) server_->stopListening();
  // The agent drains its sinks now; requests still waiting are answered as their frames are delivered (or given
  // up at shutdown_timeout), then the connections close.
  loop_.post([this, alive = std::weak_ptr<bool>(alive_)]() noexcept {
    auto a = alive.lock();
    if (!a || !*a) return;
    markFinished();
    maybeFinish();
  });
}

void LogplexSource::maybeFinish() {
  if (!stopping_ || !pending_.empty() || !server_) return;
  // Give the last answers a moment on the wire (they close their connections themselves), then drop the rest.
  loop_.post([this, alive = std::weak_ptr<bool>(alive_)]() noexcept {
    auto a = alive.lock();
    if (!a || !*a || !server_) return;
    server_->closeConnections();
  });
}

}  // namespace sluice::plugins::logplex_input
