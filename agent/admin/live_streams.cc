#include "agent/admin/live_streams.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "agent/admin/websocket.h"
#include "agent/core/clock.h"
#include "agent/core/memory.h"

namespace sluice {
namespace {

constexpr size_t kChunkBytes = 64 * 1024;

}  // namespace

// One client. SSE and WebSocket differ only in how an event is framed and how the connection is written.
class LiveStreams::Client : public Deletable {
 public:
  LogFilter filter;
  uint64_t id = 0;
  uint64_t cursor = 0;
  uint64_t missed = 0;          // lines the ring dropped before this client read them, not yet reported
  int64_t last_ping_ms = 0;

  virtual bool alive() const = 0;
  // Bytes handed to send() whose memory is not released yet: queued, or taken by the kernel but not yet
  // reported written. What a client that does not read costs is bounded by this, not by the socket's queue.
  size_t pending() const { return *held_; }
  virtual void send(std::string bytes) = 0;
  // One event: name is "log", "ping" or "dropped"; json its whole payload.
  virtual void appendEvent(std::string& out, std::string_view name, std::string_view json, uint64_t id) = 0;
  virtual void finish() = 0;
  // Ends the stream for another reason than shutdown (a revoked log session).
  virtual void finishWith(std::string_view reason) = 0;
  // Shutdown's last resort: a client that does not take even the final bytes is cut off.
  virtual void abort() = 0;
  virtual bool connected() const = 0;   // the connection is still there (finished or not)

 protected:
  // Counts `bytes` as held until the returned callback runs (it may outlive the client).
  std::function<void()> hold(size_t bytes) {
    *held_ += bytes;
    return [held = held_, bytes] { *held -= bytes; };
  }

 private:
  std::shared_ptr<size_t> held_ = std::make_shared<size_t>(0);
};

namespace {

class SseClient final : public LiveStreams::Client {
 public:
  explicit SseClient(HttpResponder responder) : responder_(std::move(responder)) {
    responder_.startStream(200, {{"Content-Type", "text/event-stream; charset=utf-8"},
                                 {"Cache-Control", "no-cache"},
                                 {"X-Accel-Buffering", "no"},
                                 {"Connection", "close"}});
    // A flag, not `this`: the connection may report its end after this client is gone.
    responder_.onClose([closed = closed_] { *closed = true; });
  }
  bool alive() const override { return !*closed_ && !finished_ && responder_.connected(); }
  void send(std::string bytes) override {
    auto release = hold(bytes.capacity());
    responder_.write(std::move(bytes), std::move(release));
  }
  void appendEvent(std::string& out, std::string_view name, std::string_view json, uint64_t id) override {
    if (id != 0) out.append("id: ").append(std::to_string(id)).append("\n");
    out.append("event: ").append(name).append("\ndata: ").append(json).append("\n\n");
  }
  void finish() override {
    if (finished_) return;
    finished_ = true;
    responder_.end();  // the last chunk; the connection closes once it is written ("Connection: close")
  }
  void finishWith(std::string_view) override { finish(); }
  void abort() override { responder_.abort(); }
  bool connected() const override { return !*closed_ && responder_.connected(); }

 private:
  HttpResponder responder_;
  std::shared_ptr<bool> closed_ = std::make_shared<bool>(false);
  bool finished_ = false;
};

class WsClient final : public LiveStreams::Client, public Stream::Handler {
 public:
  // Nothing is written until the handshake is accepted: takeOver sends the 101.
  bool accept(const HttpServerRequest& request, HttpResponder& responder) {
    const std::string* key = request.header("Sec-WebSocket-Key");
    std::string leftover;
    stream_ = responder.takeOver(101,
                                 {{"Upgrade", "websocket"},
                                  {"Connection", "Upgrade"},
                                  {"Sec-WebSocket-Accept", webSocketAccept(key != nullptr ? *key : "")}},
                                 this, &leftover);
    if (!stream_) return false;
    if (!leftover.empty()) onStreamData(leftover.data(), leftover.size());
    return true;
  }
  ~WsClient() override {
    if (stream_) stream_->close();
  }

  bool alive() const override { return stream_ && stream_->isOpen() && !closing_; }
  void send(std::string bytes) override { write(std::move(bytes), false); }
  void appendEvent(std::string& out, std::string_view, std::string_view json, uint64_t) override {
    appendWebSocketFrame(out, WsOpcode::Text, json);
  }
  void finish() override { closeWith(1001, "server shutting down"); }
  void finishWith(std::string_view reason) override { closeWith(1000, reason); }
  void abort() override {
    closing_ = true;
    if (stream_) stream_->close();
  }
  bool connected() const override { return stream_ && stream_->isOpen(); }

  void onStreamData(const char* data, size_t len) noexcept override {
    if (closing_) return;
    in_.append(data, len);
    size_t pos = 0;
    while (!closing_) {
      WebSocketFrame frame;
      size_t used = 0;
      const char* error = "";
      WsParse st = parseWebSocketFrame(std::string_view(in_).substr(pos), &frame, &used, &error);
      if (st == WsParse::NeedMore) break;
      if (st == WsParse::Error) {
        closeWith(1002, error);
        break;
      }
      pos += used;
      if (frame.opcode == WsOpcode::Ping) {
        std::string out;
        appendWebSocketFrame(out, WsOpcode::Pong, frame.payload);
        write(std::move(out), false);
      } else if (frame.opcode == WsOpcode::Close) {
        // Echo the status code (section 5.5.1), then close once it is written.
        uint16_t code = frame.payload.size() >= 2
                            ? static_cast<uint16_t>((static_cast<uint8_t>(frame.payload[0]) << 8) |
                                                    static_cast<uint8_t>(frame.payload[1]))
                            : 1000;
        closeWith(code, "");
      }
      // Text and binary frames from the client mean nothing here: ignored.
    }
    in_.erase(0, pos);
    if (in_.size() > 256 * 1024) closeWith(1009, "too much unread input");
  }
  void onStreamClosed(const Error&) noexcept override { closing_ = true; }

 private:
  void closeWith(uint16_t code, std::string_view reason) {
    if (closing_ || !stream_) return;
    std::string out;
    appendWebSocketFrame(out, WsOpcode::Close, webSocketClosePayload(code, reason));
    write(std::move(out), true);
    closing_ = true;
  }
  void write(std::string bytes, bool close_after) {
    if (!stream_ || !stream_->isOpen()) return;
    auto owned = std::make_shared<std::string>(std::move(bytes));
    uv_buf_t b = uv_buf_init(owned->data(), static_cast<unsigned>(owned->size()));
    Stream* s = stream_.get();
    std::weak_ptr<bool> alive = alive_;
    stream_->write(&b, 1, [owned, s, alive, close_after, release = hold(owned->capacity())](int) {
      release();
      if (!close_after) return;
      if (auto a = alive.lock()) s->close();
    });
  }

  std::unique_ptr<Stream> stream_;
  std::string in_;
  bool closing_ = false;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace

LiveStreams::LiveStreams(Loop& loop, RecentLines& ring, LineFormatter& formatter, Settings settings)
    : loop_(loop), ring_(ring), formatter_(formatter), settings_(settings) {
  tick_.init(this, [&](uv_timer_t* t) { return uv_timer_init(loop_.get(), t); });
  uv_unref(tick_.handle());  // it never keeps the agent alive by itself
}

// Keepalives and catching up slow clients, while there are clients: an agent nobody streams from does not wake
// ten times a second for them.
void LiveStreams::armTick() {
  if (uv_is_active(tick_.handle()) != 0) return;
  uint64_t every = static_cast<uint64_t>(std::min<int64_t>(settings_.keepalive.count(), 100));
  uv_timer_start(tick_.get(), &LiveStreams::onTick, every, every);
}

LiveStreams::~LiveStreams() {
  *alive_ = false;
  ring_.setListener(nullptr);
  for (auto& c : clients_) loop_.deferDelete(std::move(c));
}

uint64_t LiveStreams::start(const HttpServerRequest& request, HttpResponder responder, LogFilter filter, size_t n,
                            uint64_t last_event_id) {
  if (request.upgrade) {
    auto ws = std::make_unique<WsClient>();
    if (!ws->accept(request, responder)) return 0;
    return add(std::move(ws), filter, n, 0);
  }
  return add(std::make_unique<SseClient>(std::move(responder)), filter, n, last_event_id);
}

bool LiveStreams::acceptableUpgrade(const HttpServerRequest& request, HttpResponder& responder) {
  if (!request.upgrade) return true;
  const std::string* upgrade = request.header("Upgrade");
  const std::string* version = request.header("Sec-WebSocket-Version");
  if (upgrade == nullptr || (*upgrade != "websocket" && *upgrade != "WebSocket") ||
      request.header("Sec-WebSocket-Key") == nullptr) {
    responder.respond(400, {{"Content-Type", "text/plain; charset=utf-8"}},
                      "a WebSocket upgrade needs Upgrade: websocket and Sec-WebSocket-Key\n");
    return false;
  }
  if (version == nullptr || *version != "13") {
    responder.respond(426, {{"Content-Type", "text/plain"}, {"Sec-WebSocket-Version", "13"}},
                      "only WebSocket version 13 is supported\n");
    return false;
  }
  return true;
}

void LiveStreams::end(uint64_t id, std::string_view reason) {
  for (auto& c : clients_) {
    if (c->id != id) continue;
    pump(*c);  // what was routed before the end
    c->finishWith(reason);
  }
}

bool LiveStreams::connected(uint64_t id) const {
  return std::any_of(clients_.begin(), clients_.end(), [&](const auto& c) { return c->id == id && c->alive(); });
}

uint64_t LiveStreams::add(std::unique_ptr<Client> client, const LogFilter& filter, size_t n, uint64_t last_event_id) {
  client->filter = filter;
  client->id = next_id_++;
  client->last_ping_ms = static_cast<int64_t>(loop_.nowMs());
  if (last_event_id > 0) {
    client->cursor = last_event_id + 1;
  } else {
    // The last n lines that match.
    uint64_t seq = ring_.nextSeq();
    size_t found = 0;
    LogLine line;
    while (found < n && seq > ring_.firstSeq()) {
      --seq;
      if (ring_.get(seq, &line) && client->filter.matches(line)) ++found;
    }
    client->cursor = found < n ? ring_.firstSeq() : seq;
    if (n == 0) client->cursor = ring_.nextSeq();
  }
  if (client->cursor > ring_.nextSeq()) client->cursor = ring_.nextSeq();  // an id from before a restart
  clients_.push_back(std::move(client));
  armTick();
  updateListener();
  pump(*clients_.back());
  return clients_.back()->id;
}

void LiveStreams::updateListener() { ring_.setListener(clients_.empty() || closing_ ? nullptr : this); }

void LiveStreams::onLinesAdded() {
  if (flush_posted_) return;
  flush_posted_ = true;
  loop_.post([this, alive = std::weak_ptr<bool>(alive_)] {
    auto a = alive.lock();
    if (!a || !*a) return;
    flush();
  });
}

void LiveStreams::flush() {
  flush_posted_ = false;
  ring_.clearSignal();
  for (auto& c : clients_) pump(*c);
}

void LiveStreams::pump(Client& c) {
  if (!c.alive() || closing_) return;
  const size_t chunk = std::min(kChunkBytes, settings_.buffer);
  std::string out;
  out.reserve(chunk);
  LogLine line;
  std::string json;
  while (c.cursor < ring_.nextSeq()) {
    // Too slow: the ring goes on without it. The open chunk counts whole, as it was reserved.
    if (c.pending() + std::max(out.size(), out.capacity()) > settings_.buffer) break;
    if (out.size() >= chunk - chunk / 16) {
      // Written in chunks of a fixed capacity: one string grown to the whole buffer would hold up to twice it.
      c.send(std::move(out));
      out = std::string();
      out.reserve(chunk);
    }
    if (c.cursor < ring_.firstSeq()) {
      c.missed += ring_.firstSeq() - c.cursor;
      c.cursor = ring_.firstSeq();
      continue;
    }
    if (c.missed > 0) {
      dropped_total_ += c.missed;
      c.appendEvent(out, "dropped", "{\"name\":\"dropped\",\"count\":" + std::to_string(c.missed) + "}", 0);
      c.missed = 0;
    }
    if (ring_.get(c.cursor, &line) && c.filter.matches(line)) {
      std::string text;
      formatter_.appendText(line, text);
      json.assign("{\"name\":\"log\",\"log\":");
      appendJsonString(json, text);
      json.push_back('}');
      c.appendEvent(out, "log", json, c.cursor);
    }
    ++c.cursor;
  }
  if (c.missed > 0 && c.cursor >= ring_.nextSeq()) {
    dropped_total_ += c.missed;
    c.appendEvent(out, "dropped", "{\"name\":\"dropped\",\"count\":" + std::to_string(c.missed) + "}", 0);
    c.missed = 0;
  }
  if (out.empty()) return;
  if (out.capacity() - out.size() > 4096) out.shrink_to_fit();  // a few events: not worth a whole chunk's memory
  c.send(std::move(out));
}

void LiveStreams::reap() {
  size_t before = clients_.size();
  for (auto it = clients_.begin(); it != clients_.end();) {
    if ((*it)->alive()) {
      ++it;
      continue;
    }
    loop_.deferDelete(std::move(*it));  // we may be inside one of its callbacks
    it = clients_.erase(it);
  }
  updateListener();
  if (clients_.size() < before) {
    // Slow clients leave up to stream_buffer each behind in freed chunks; give those pages back to the system on
    // the next turn (after the deferred deletes), or the agent's RSS stays at its peak for good.
    loop_.post([alive = std::weak_ptr<bool>(alive_)] {
      if (auto a = alive.lock()) releaseFreedMemory();
    });
  }
}

void LiveStreams::onTick(uv_timer_t* timer) noexcept {
  auto* self = ownerOf<LiveStreams>(timer);
  if (self == nullptr) return;
  self->reap();
  if (self->clients_.empty()) {
    uv_timer_stop(timer);
    return;
  }
  const int64_t now = static_cast<int64_t>(self->loop_.nowMs());
  for (auto& c : self->clients_) {
    self->pump(*c);
    if (now - c->last_ping_ms >= self->settings_.keepalive.count() && c->alive()) {
      std::string json = "{\"name\":\"ping\",\"timestamp\":\"" + self->formatter_.timestamp(wallMicros()) + "\"}";
      std::string out;
      c->appendEvent(out, "ping", json, 0);
      c->send(std::move(out));
      c->last_ping_ms = now;
    }
  }
}

size_t LiveStreams::connectedClients() const {
  size_t n = 0;
  for (const auto& c : clients_) n += c->connected() ? 1 : 0;
  return n;
}

void LiveStreams::abortAll() {
  for (auto& c : clients_) c->abort();
}

void LiveStreams::closeAll() {
  if (closing_) return;
  for (auto& c : clients_) {
    pump(*c);  // what was routed before the end
  }
  closing_ = true;
  updateListener();
  for (auto& c : clients_) c->finish();
}

}  // namespace sluice
