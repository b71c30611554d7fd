#include "tests/support/test_drain.h"

#include <uv.h>

#include <deque>
#include <list>
#include <functional>
#include <random>

#include "agent/formats/frame.h"
#include "agent/loop/loop.h"
#include "agent/net/http_wire.h"
#include "tests/support/files.h"
#include "tests/support/test_server.h"

namespace sluice {

std::string_view syslogBody(std::string_view m) {
  // Skip 6 space-separated header fields (PRI+VERSION, TIMESTAMP, HOSTNAME, APP-NAME, PROCID, MSGID), then "- ".
  size_t pos = 0;
  for (int i = 0; i < 6; ++i) {
    pos = m.find(' ', pos);
    if (pos == std::string_view::npos) return {};
    ++pos;
  }
  if (m.substr(pos, 2) != "- ") return m.substr(pos);
  return m.substr(pos + 2);
}

std::string checkRfc5424(std::string_view m) {
  if (m.size() < 4 || m[0] != '<') return "no PRI";
  size_t close = m.find('>');
  if (close == std::string_view::npos || close < 2 || close > 4) return "bad PRI";
  int pri = 0;
  for (size_t i = 1; i < close; ++i) {
    if (m[i] < '0' || m[i] > '9') return "bad PRI";
    pri = pri * 10 + (m[i] - '0');
  }
  if (pri > 191) return "PRI out of range";
  if (m.substr(close + 1, 2) != "1 ") return "VERSION is not 1";
  std::string_view rest = m.substr(close + 3);
  // TIMESTAMP: exactly YYYY-MM-DDTHH:MM:SS.ffffffZ
  if (rest.size() < 28 || rest[27] != ' ') return "TIMESTAMP is not 27 bytes";
  static const char kShape[] = "dddd-dd-ddTdd:dd:dd.ddddddZ";
  for (size_t i = 0; i < 27; ++i) {
    char c = rest[i];
    bool ok = kShape[i] == 'd' ? (c >= '0' && c <= '9') : c == kShape[i];
    if (!ok) return "TIMESTAMP shape";
  }
  rest.remove_prefix(28);
  static const size_t kMax[] = {255, 48, 128, 32};
  static const char* kNames[] = {"HOSTNAME", "APP-NAME", "PROCID", "MSGID"};
  for (int f = 0; f < 4; ++f) {
    size_t sp = rest.find(' ');
    if (sp == std::string_view::npos || sp == 0) return std::string(kNames[f]) + " missing";
    if (sp > kMax[f]) return std::string(kNames[f]) + " too long";
    for (size_t i = 0; i < sp; ++i) {
      auto c = static_cast<unsigned char>(rest[i]);
      if (c < 33 || c > 126) return std::string(kNames[f]) + " has a non-printable byte";
    }
    rest.remove_prefix(sp + 1);
  }
  if (rest.substr(0, 2) != "- " && rest != "-") return "STRUCTURED-DATA is not -";
  return "";
}

struct TestDrain::Impl : TestServer {
  enum class Action { Answer, Fail, Reset, AcceptThenReset };
  struct Scripted {
    Action action;
    int status = 0;
    std::string retry_after;
  };

  Options options;
  std::deque<Scripted> script;
  std::chrono::milliseconds delay{0};
  double fail_fraction = 0;
  int fail_status = 0;
  std::mt19937_64 fail_rng{20240};
  std::vector<std::string> messages;
  std::vector<std::pair<std::string, std::vector<std::string>>> batches;
  std::vector<Request> requests;
  size_t message_count = 0;
  size_t arrived = 0;
  std::set<std::string> peers;
  uint64_t bytes = 0;
  std::string expected_auth;

  // Answers held back by setDelay(): each fires once, then is freed on the next turn.
  struct Delayed {
    Impl* impl;
    std::list<Delayed>::iterator self;
    std::function<void()> fn;
    UvHandle<uv_timer_t> timer;
  };
  std::list<Delayed> delayed;

  static void onDelayed(uv_timer_t* t) noexcept {
    auto* d = ownerOf<Delayed>(t);
    if (d == nullptr) return;
    d->fn();
    Impl* impl = d->impl;
    auto it = d->self;
    impl->thread.loop().post([impl, it] { impl->delayed.erase(it); });
  }

  void scriptNext(int count, const Scripted& step) {
    update([&] { script.insert(script.end(), static_cast<size_t>(count), step); });
  }

  // Parses one POST strictly; records nothing unless asked to.
  bool parse(const HttpServerRequest& req, std::vector<std::string>* out, std::string* frame_id) {
    auto header = [&](const char* name) -> std::string {
      const std::string* v = req.header(name);
      return v ? *v : std::string();
    };
    bool ok = true;
    auto fail = [&](std::string why) {
      addError(why);
      ok = false;
    };
    *frame_id = header("Logplex-Frame-Id");
    if (!options.check_headers) return parseBody(req.body, out, fail);
    if (req.method != "POST") fail("method " + req.method);
    if (req.path() != options.path) fail("path " + std::string(req.path()));
    if (header("Content-Type") != "application/logplex-1") fail("Content-Type: " + header("Content-Type"));
    if (!expected_auth.empty() && header("Authorization") != expected_auth) fail("Authorization: " + header("Authorization"));
    // The version of CMake's project(VERSION): the one place it is written (--version and the package use it too).
    // "sluice/VERSION", or with a comment after it: "sluice/VERSION (bench)".
    static const std::string user_agent = "sluice/" + cmakeProjectVersion();
    const std::string ua = header("User-Agent");
    if (ua.rfind(user_agent, 0) != 0 || (ua.size() > user_agent.size() && ua[user_agent.size()] != ' ')) {
      fail("User-Agent: " + ua + ", not " + user_agent);
    }
    if (frame_id->empty()) fail("no Logplex-Frame-Id");
    ok = parseBody(req.body, out, fail) && ok;
    if (header("Logplex-Msg-Count") != std::to_string(out->size())) {
      fail("Logplex-Msg-Count " + header("Logplex-Msg-Count") + " but " + std::to_string(out->size()) + " frames");
    }
    return ok;
  }

  // The octet-counted frames of a body; false (and `fail` called) at the first bad one.
  template <class Fail>
  bool parseBody(std::string_view rest, std::vector<std::string>* out, Fail&& report) {
    bool ok = true;
    auto fail = [&](std::string why) {
      report(std::move(why));
      ok = false;
    };
    while (!rest.empty()) {
      std::string_view msg;
      size_t used = 0;
      const char* err = nullptr;
      FrameStatus st = parseFrame(rest, &msg, &used, &err);
      if (st != FrameStatus::Ok) {
        fail(st == FrameStatus::NeedMore ? "truncated frame" : std::string("malformed frame: ") + err);
        break;
      }
      if (options.check_rfc5424) {
        std::string bad = checkRfc5424(msg);
        if (!bad.empty()) fail("message '" + std::string(msg.substr(0, 120)) + "': " + bad);
      }
      out->emplace_back(options.keep_messages ? msg : std::string_view());
      rest.remove_prefix(used);
    }
    return ok;
  }

  void record(const std::string& frame_id, std::vector<std::string>&& msgs, size_t body_bytes) {
    update([&] {
      message_count += msgs.size();
      bytes += body_bytes;
      if (options.keep_messages) {
        messages.insert(messages.end(), msgs.begin(), msgs.end());
        batches.emplace_back(frame_id, std::move(msgs));
      }
    });
  }

  void handle(HttpServerRequest&& req, HttpResponder responder) {
    Scripted step{Action::Answer};
    std::chrono::milliseconds wait;
    {
      std::lock_guard<std::mutex> lock(mu);
      ++arrived;
      peers.insert(req.peer);
      if (!script.empty()) {
        step = script.front();
        script.pop_front();
      } else if (fail_fraction > 0 && std::uniform_real_distribution<double>(0, 1)(fail_rng) < fail_fraction) {
        step = Scripted{Action::Fail, fail_status};
      }
      wait = delay;
    }
    std::vector<std::string> msgs;
    std::string frame_id;
    bool ok = parse(req, &msgs, &frame_id);
    Request r;
    r.frame_id = frame_id;
    r.messages = msgs.size();
    r.arrived = std::chrono::steady_clock::now();
    auto finish = [this, step, ok, r, msgs = std::move(msgs), responder, body_bytes = req.body.size()]() mutable {
      switch (step.action) {
        case Action::Reset:
          responder.abort(true);
          break;
        case Action::AcceptThenReset:
          record(r.frame_id, std::move(msgs), body_bytes);
          r.accepted = true;
          responder.abort(true);
          break;
        case Action::Fail: {
          r.status = step.status;
          std::vector<HttpHeader> h;
          if (!step.retry_after.empty()) h.push_back({"Retry-After", step.retry_after});
          responder.respond(step.status, std::move(h), "scripted failure");
          break;
        }
        case Action::Answer:
          if (!ok) {
            r.status = 400;
            responder.respond(400, {}, "bad request");
          } else {
            record(r.frame_id, std::move(msgs), body_bytes);
            r.accepted = true;
            r.status = 204;
            responder.respond(204, {}, "");
          }
          break;
      }
      update([&] { requests.push_back(r); });
    };
    if (wait.count() > 0) {
      auto it = delayed.emplace(delayed.end());
      it->impl = this;
      it->self = it;
      it->fn = std::move(finish);
      it->timer.init(&*it, [&](uv_timer_t* t) { return uv_timer_init(thread.loop().get(), t); });
      uv_timer_start(it->timer.get(), &Impl::onDelayed, static_cast<uint64_t>(wait.count()), 0);
    } else {
      finish();
    }
  }
};

TestDrain::TestDrain(Options options) : impl_(std::make_unique<Impl>()) {
  Impl& d = *impl_;
  d.options = std::move(options);
  if (!d.options.token.empty()) d.expected_auth = "Basic " + base64Encode("token:" + d.options.token);
  HttpServer::Options so;
  so.max_body = 64 * 1024 * 1024;
  TlsServerOptions tls;
  if (d.options.tls) tls = TlsServerOptions{d.options.cert_file, d.options.key_file, ""};
  port_ = d.listenHttp(so, tls, [&d](HttpServerRequest&& req, HttpResponder r) {
    d.handle(std::move(req), std::move(r));
  });
}

TestDrain::~TestDrain() {
  impl_->shutdown([this] { impl_->delayed.clear(); });
}

std::string TestDrain::url() const {
  std::string scheme = impl_->options.tls ? "https" : "http";
  std::string auth = impl_->options.token.empty() ? "" : "token:" + impl_->options.token + "@";
  return scheme + "://" + auth + "127.0.0.1:" + std::to_string(port_) + impl_->options.path;
}

void TestDrain::failNext(int count, int status, std::string retry_after) {
  impl_->scriptNext(count, {Impl::Action::Fail, status, std::move(retry_after)});
}

void TestDrain::failRandomly(double fraction, int status) {
  impl_->update([&] {
    impl_->fail_fraction = fraction;
    impl_->fail_status = status;
  });
}

void TestDrain::resetNext(int count) {
  impl_->scriptNext(count, {Impl::Action::Reset});
}

void TestDrain::acceptThenResetNext(int count) {
  impl_->scriptNext(count, {Impl::Action::AcceptThenReset});
}

void TestDrain::setDelay(std::chrono::milliseconds delay) {
  impl_->update([&] { impl_->delay = delay; });
}

void TestDrain::goDown() {
  impl_->thread.run([this] {
    impl_->http->stopListening();
    impl_->http->closeConnections(true);
  });
}

void TestDrain::comeUp() {
  impl_->thread.run([this] {
    auto port = impl_->http->listen();
    if (!port) impl_->addError("cannot listen again: " + port.error().message);
  });
}

size_t TestDrain::messageCount() const { return impl_->copy(impl_->message_count); }

std::vector<std::string> TestDrain::messages() const { return impl_->copy(impl_->messages); }

std::vector<std::string> TestDrain::bodies() const {
  std::vector<std::string> out;
  for (const auto& m : messages()) out.emplace_back(syslogBody(m));
  return out;
}

std::vector<TestDrain::Request> TestDrain::requests() const { return impl_->copy(impl_->requests); }

std::vector<std::pair<std::string, std::vector<std::string>>> TestDrain::batches() const {
  return impl_->copy(impl_->batches);
}

std::vector<std::string> TestDrain::protocolErrors() const { return impl_->errors(); }

std::set<std::string> TestDrain::peers() const { return impl_->copy(impl_->peers); }

size_t TestDrain::openConnections() const {
  size_t n = 0;
  impl_->thread.run([&] { n = impl_->http ? impl_->http->connectionCount() : 0; });
  return n;
}

size_t TestDrain::requestsArrived() const { return impl_->copy(impl_->arrived); }

uint64_t TestDrain::bytesReceived() const { return impl_->copy(impl_->bytes); }

bool TestDrain::waitForMessages(size_t count, std::chrono::milliseconds deadline) const {
  return impl_->waitUntil([&] { return impl_->message_count >= count; }, deadline);
}

}  // namespace sluice
