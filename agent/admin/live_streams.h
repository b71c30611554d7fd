#pragma once
// Live log streams (GET /logs?stream=true): Server-Sent Events, or WebSocket when the request asks for an
// upgrade (shared/seeds/001). Each client reads the recent-lines ring through its own cursor, so the pipeline
// never waits for it: a client whose socket backs up (more than `buffer` bytes unsent) stops reading the ring,
// the ring moves on without it, and when it catches up it gets {"name":"dropped","count":N} for what it missed.
// Routing a line costs nothing more than the ring's add: the streams are pumped once per loop turn.
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "agent/admin/log_filter.h"
#include "agent/admin/log_format.h"
#include "agent/admin/recent_lines.h"
#include "agent/loop/loop.h"
#include "agent/net/http_server.h"

namespace sluice {

class LiveStreams final : public RecentLines::Listener {
 public:
  struct Settings {
    std::chrono::milliseconds keepalive{25000};   // a ping event this often
    size_t buffer = 1 << 20;                       // unsent bytes per client before it stops reading the ring
    size_t max_clients = 64;
  };

  LiveStreams(Loop& loop, RecentLines& ring, LineFormatter& formatter, Settings settings);
  ~LiveStreams() override;
  LiveStreams(const LiveStreams&) = delete;
  LiveStreams& operator=(const LiveStreams&) = delete;

  bool full() const { return clients_.size() >= settings_.max_clients; }
  // Starts a stream for `request` (SSE, or WebSocket when it asks for an upgrade): the last `n` lines that match
  // `filter`, then every new one. With SSE, `last_event_id` (the Last-Event-ID header of a reconnecting client)
  // resumes after that line instead. Returns the stream's id (0 when the WebSocket handshake failed).
  uint64_t start(const HttpServerRequest& request, HttpResponder responder, LogFilter filter, size_t n,
                 uint64_t last_event_id);
  // Ends the stream `id` cleanly (SSE: the last chunk; WebSocket: a close frame, 1000 with `reason`), as when a
  // log session is revoked.
  void end(uint64_t id, std::string_view reason);
  // The stream `id` still has its client.
  bool connected(uint64_t id) const;
  // A request for a stream that asks for a WebSocket upgrade must ask for a version-13 one: else it is answered
  // (400 or 426) here and false is returned.
  static bool acceptableUpgrade(const HttpServerRequest& request, HttpResponder& responder);
  // Shutdown: every stream ends cleanly (SSE: the last chunk; WebSocket: a close frame, 1001).
  void closeAll();
  // After closeAll(): cuts off the clients that have not gone yet.
  void abortAll();
  size_t connectedClients() const;
  size_t clients() const { return clients_.size(); }
  uint64_t droppedTotal() const { return dropped_total_; }

  void onLinesAdded() override;

  class Client;

 private:
  uint64_t add(std::unique_ptr<Client> client, const LogFilter& filter, size_t n, uint64_t last_event_id);
  void flush();
  void pump(Client& client);
  void reap();
  void armTick();
  void updateListener();
  static void onTick(uv_timer_t* timer) noexcept;

  Loop& loop_;
  RecentLines& ring_;
  LineFormatter& formatter_;
  Settings settings_;
  std::vector<std::unique_ptr<Client>> clients_;
  UvHandle<uv_timer_t> tick_;
  bool flush_posted_ = false;
  bool closing_ = false;
  uint64_t dropped_total_ = 0;
  uint64_t next_id_ = 1;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace sluice
