#pragma once
// A Stream whose bytes live in memory: the HTTP fuzz targets hand it to a real server or client connection and
// feed it input as a socket would, without a socket. It keeps Stream's contract: write callbacks run on a later
// turn (UV_ECANCELED once closed) and never after the stream is destroyed; no handler call after close().
#include <memory>
#include <string>
#include <utility>

#include "agent/loop/loop.h"
#include "agent/net/stream.h"

namespace sluice::fuzz {

// The harness's end of the stream. It outlives the stream, which its owner may free on any loop turn.
struct Peer {
  Stream::Handler* handler = nullptr;  // valid while `open`: the owner closes the stream before it goes
  bool open = true;
  bool paused = false;
  std::string received;                // everything the owner wrote
  void send(std::string_view bytes) { handler->onStreamData(bytes.data(), bytes.size()); }
};

class MemoryStream final : public Stream {
 public:
  MemoryStream(Loop& loop, std::shared_ptr<Peer> peer) : loop_(loop), peer_(std::move(peer)) {}
  ~MemoryStream() override {
    *alive_ = false;
    peer_->open = false;
  }

  void write(const uv_buf_t* bufs, size_t count, std::function<void(int)> done) override {
    if (peer_->open) {
      for (size_t i = 0; i < count; ++i) peer_->received.append(bufs[i].base, bufs[i].len);
    }
    if (!done) return;
    loop_.post([alive = std::weak_ptr<bool>(alive_), peer = peer_, done = std::move(done)] {
      auto a = alive.lock();
      if (a && *a) done(peer->open ? 0 : UV_ECANCELED);
    });
  }
  size_t pendingWriteBytes() const override { return 0; }
  void pauseReading() override { peer_->paused = true; }
  void resumeReading() override { peer_->paused = false; }
  void close(bool) override { peer_->open = false; }
  void shutdown(std::chrono::milliseconds, std::function<void()> done) override {
    peer_->open = false;
    loop_.post([alive = std::weak_ptr<bool>(alive_), done = std::move(done)] {
      auto a = alive.lock();
      if (a && *a && done) done();
    });
  }
  bool isOpen() const override { return peer_->open; }
  std::string peerAddress() const override { return "127.0.0.1:40000"; }
  void setHandler(Handler* handler) override { peer_->handler = handler; }

 private:
  Loop& loop_;
  std::shared_ptr<Peer> peer_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

// Runs what is due on the loop now (posted work, deferred deletes, close callbacks), without waiting for timers.
inline void runTurns(Loop& loop, int turns = 4) {
  for (int i = 0; i < turns; ++i) uv_run(loop.get(), UV_RUN_NOWAIT);
}

}  // namespace sluice::fuzz
