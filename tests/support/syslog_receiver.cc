#include "tests/support/syslog_receiver.h"

#include <uv.h>

#include <map>
#include <stdexcept>

#include "agent/formats/frame.h"
#include "agent/loop/loop.h"
#include "agent/net/stream.h"
#include "agent/net/tls_context.h"
#include "tests/support/test_drain.h"
#include "tests/support/test_server.h"

namespace sluice {

struct SyslogReceiver::Impl : TestServer {
  struct Connection : Stream::Handler, Deletable {
    Impl* impl = nullptr;
    std::unique_ptr<Stream> stream;
    std::string buffer;
    bool connected = false;

    void onStreamConnected() noexcept override {
      connected = true;
      impl->connected();
    }
    void onStreamData(const char* data, size_t len) noexcept override {
      buffer.append(data, len);
      if (!impl->consume(buffer)) stream->close(true);
    }
    void onStreamClosed(const Error& why) noexcept override {
      if (!connected) impl->connectionError(why.message);
      if (!buffer.empty()) impl->partial();
      impl->forget(this);
    }
  };

  Options options;
  UvHandle<uv_tcp_t> listener;
  UvHandle<uv_udp_t> udp;
  std::shared_ptr<TlsContext> tls;
  std::map<Connection*, std::unique_ptr<Connection>> conns;
  uint16_t port = 0;
  char datagram[65536];

  std::vector<std::string> messages;
  size_t message_count = 0;
  size_t uncounted = 0;  // without keep_messages: counted once per read, not per message (benchmarks)
  std::vector<std::string> conn_errors;
  size_t accepted = 0;
  size_t partial_frames = 0;

  void connectionError(std::string e) {
    update([&] {
      if (conn_errors.size() < 100) conn_errors.push_back(std::move(e));
    });
  }
  void connected() { update([&] { ++accepted; }); }
  void partial() { update([&] { ++partial_frames; }); }

  // Checks and records one message; false when it is not a valid RFC 5424 message.
  bool record(std::string_view msg) {
    if (options.check_rfc5424) {
      std::string bad = checkRfc5424(msg);
      if (!bad.empty()) {
        addError("message '" + std::string(msg.substr(0, 120)) + "': " + bad);
        return false;
      }
    }
    if (!options.keep_messages) {
      ++uncounted;
      return true;
    }
    update([&] {
      messages.emplace_back(msg);
      ++message_count;
    });
    return true;
  }

  void flushCount() {
    if (uncounted == 0) return;
    update([&] { message_count += uncounted; });
    uncounted = 0;
  }

  // Takes the complete messages off the front of a connection's buffer; false on a framing error.
  bool consume(std::string& buffer) {
    size_t pos = 0;
    bool ok = true;
    while (pos < buffer.size()) {
      std::string_view rest(buffer.data() + pos, buffer.size() - pos);
      if (options.framing == Framing::Lf) {
        size_t nl = rest.find('\n');
        if (nl == std::string_view::npos) break;
        ok = record(rest.substr(0, nl)) && ok;
        pos += nl + 1;
        continue;
      }
      std::string_view msg;
      size_t used = 0;
      const char* err = nullptr;
      FrameStatus st = parseFrame(rest, &msg, &used, &err);
      if (st == FrameStatus::NeedMore) break;
      if (st == FrameStatus::Malformed) {
        addError(std::string("malformed frame: ") + err + " at '" + std::string(rest.substr(0, 40)) + "'");
        buffer.clear();
        return false;
      }
      ok = record(msg) && ok;
      pos += used;
    }
    flushCount();
    buffer.erase(0, pos);
    return true;
  }

  void forget(Connection* c) {
    auto it = conns.find(c);
    if (it == conns.end()) return;
    std::unique_ptr<Connection> own = std::move(it->second);
    conns.erase(it);
    thread.loop().deferDelete(std::move(own));  // inside its callback
  }

  static void onConnection(uv_stream_t* l, int status) noexcept {
    auto* self = ownerOf<Impl>(l);
    if (self == nullptr || status < 0) return;
    auto conn = std::make_unique<Connection>();
    conn->impl = self;
    auto stream = Stream::accept(self->thread.loop(), l, self->tls, conn.get());
    if (!stream) {
      self->connectionError(stream.error().message);
      return;
    }
    conn->stream = std::move(*stream);
    if (self->options.stalled) conn->stream->pauseReading();
    if (!self->tls) {  // plain TCP has no handshake: connected now
      conn->connected = true;
      self->connected();
    }
    Connection* raw = conn.get();
    self->conns.emplace(raw, std::move(conn));
  }

  static void onDatagram(uv_udp_t* u, ssize_t nread, const uv_buf_t* buf, const struct sockaddr* addr,
                         unsigned) noexcept {
    auto* self = ownerOf<Impl>(u);
    if (self == nullptr || nread < 0 || addr == nullptr) return;
    std::string_view msg(buf->base, static_cast<size_t>(nread));
    self->record(msg);
    self->flushCount();
  }

  bool listen() {
    struct sockaddr_in addr {};
    uv_ip4_addr("127.0.0.1", port, &addr);
    if (options.transport == Transport::Udp) {
      if (udp.init(this, [&](uv_udp_t* u) { return uv_udp_init(thread.loop().get(), u); }) < 0) return false;
      if (uv_udp_bind(udp.get(), reinterpret_cast<const struct sockaddr*>(&addr), UV_UDP_REUSEADDR) < 0) return false;
      uv_udp_recv_start(
          udp.get(),
          [](uv_handle_t* h, size_t, uv_buf_t* b) {
            auto* self = static_cast<Impl*>(h->data);
            if (self == nullptr) {
              *b = uv_buf_init(nullptr, 0);
              return;
            }
            *b = uv_buf_init(self->datagram, sizeof self->datagram);
          },
          &Impl::onDatagram);
      struct sockaddr_storage bound {};
      int len = sizeof bound;
      uv_udp_getsockname(udp.get(), reinterpret_cast<struct sockaddr*>(&bound), &len);
      port = ntohs(reinterpret_cast<struct sockaddr_in*>(&bound)->sin_port);
      return true;
    }
    if (listener.init(this, [&](uv_tcp_t* t) { return uv_tcp_init(thread.loop().get(), t); }) < 0) return false;
    if (options.stalled) {
      // Accepted sockets inherit it; the kernel doubles it. Set before listen() so the window is negotiated so.
      int size = 4096;
      uv_recv_buffer_size(listener.handle(), &size);
    }
    if (uv_tcp_bind(listener.get(), reinterpret_cast<const struct sockaddr*>(&addr), 0) < 0 ||
        uv_listen(listener.stream(), 64, &Impl::onConnection) < 0) {
      listener.close();
      return false;
    }
    struct sockaddr_storage bound {};
    int len = sizeof bound;
    uv_tcp_getsockname(listener.get(), reinterpret_cast<struct sockaddr*>(&bound), &len);
    port = ntohs(reinterpret_cast<struct sockaddr_in*>(&bound)->sin_port);
    return true;
  }

  void down() {
    listener.close();
    udp.close();
    auto all = std::move(conns);
    conns.clear();
    for (auto& [raw, conn] : all) {
      // What arrived was read already (this loop handles reads before this task); the rest is the kernel's.
      conn->stream->close();
      if (!conn->buffer.empty()) partial();
    }
  }
};

SyslogReceiver::SyslogReceiver(Options options) : impl_(std::make_unique<Impl>()) {
  Impl& d = *impl_;
  d.options = std::move(options);
  bool ok = false;
  d.thread.run([&d, &ok] {
    if (d.options.transport == Transport::Tls) {
      auto ctx = TlsContext::makeServer(TlsServerOptions{d.options.cert_file, d.options.key_file, d.options.client_ca_file});
      if (!ctx) return;
      d.tls = *ctx;
    }
    ok = d.listen();
  });
  port_ = ok ? d.port : 0;
  if (port_ == 0) {
    impl_->shutdown([this] { impl_->down(); });
    throw std::runtime_error("syslog receiver: cannot start");
  }
}

SyslogReceiver::~SyslogReceiver() {
  impl_->shutdown([this] { impl_->down(); });
}

std::string SyslogReceiver::url() const {
  switch (impl_->options.transport) {
    case Transport::Tcp:
      return "tcp://127.0.0.1:" + std::to_string(port_);
    case Transport::Tls:
      return "tls://localhost:" + std::to_string(port_);
    case Transport::Udp:
      return "udp://127.0.0.1:" + std::to_string(port_);
  }
  return "";
}

void SyslogReceiver::goDown() {
  impl_->thread.run([this] { impl_->down(); });
}

void SyslogReceiver::resume() {
  impl_->thread.run([this] {
    impl_->options.stalled = false;
    for (auto& [raw, conn] : impl_->conns) conn->stream->resumeReading();
  });
}

void SyslogReceiver::comeUp() {
  impl_->thread.run([this] {
    if (!impl_->listen()) impl_->addError("cannot listen again on port " + std::to_string(impl_->port));
  });
}

std::vector<std::string> SyslogReceiver::messages() const { return impl_->copy(impl_->messages); }

std::vector<std::string> SyslogReceiver::bodies() const {
  std::vector<std::string> out;
  for (const auto& m : messages()) out.emplace_back(syslogBody(m));
  return out;
}

size_t SyslogReceiver::messageCount() const { return impl_->copy(impl_->message_count); }

bool SyslogReceiver::waitForMessages(size_t count, std::chrono::milliseconds deadline) const {
  return impl_->waitUntil([&] { return impl_->message_count >= count; }, deadline);
}

std::vector<std::string> SyslogReceiver::protocolErrors() const { return impl_->errors(); }

std::vector<std::string> SyslogReceiver::connectionErrors() const { return impl_->copy(impl_->conn_errors); }

size_t SyslogReceiver::connections() const { return impl_->copy(impl_->accepted); }

size_t SyslogReceiver::partialFrames() const { return impl_->copy(impl_->partial_frames); }

}  // namespace sluice
