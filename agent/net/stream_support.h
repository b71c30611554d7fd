#pragma once
// What the TCP stream and the TLS stream on top of it both need: work posted to a later turn that is dropped once
// its stream is gone, the writes made before a stream is up, and how an endpoint is named in messages.
#include <uv.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "agent/core/result.h"
#include "agent/loop/loop.h"

namespace sluice {

// Runs `fn` on the next loop turn unless `alive` (the stream's flag, false once it is destroyed) says otherwise.
template <class Fn>
void postWhileAlive(Loop& loop, const std::shared_ptr<bool>& alive, Fn fn) {
  loop.post([alive = std::weak_ptr<bool>(alive), fn = std::move(fn)]() mutable {
    if (auto a = alive.lock(); a && *a) fn();
  });
}

// Writes accepted before the stream is up, in order. The caller keeps the memory (Stream::write's contract).
class PendingWrites {
 public:
  struct Write {
    std::vector<uv_buf_t> bufs;
    std::function<void(int)> done;
  };

  void push(const uv_buf_t* bufs, size_t count, std::function<void(int)> done) {
    for (size_t i = 0; i < count; ++i) bytes_ += bufs[i].len;
    writes_.push_back(Write{std::vector<uv_buf_t>(bufs, bufs + count), std::move(done)});
  }
  size_t bytes() const { return bytes_; }
  // Hands the writes over (to be sent now that the stream is up) and forgets them.
  std::vector<Write> take() {
    bytes_ = 0;
    return std::exchange(writes_, {});
  }
  // The stream closed first: each `done` hears UV_ECANCELED on a later turn, unless the stream is gone by then.
  void cancel(Loop& loop, const std::shared_ptr<bool>& alive) {
    if (writes_.empty()) return;
    postWhileAlive(loop, alive, [writes = take(), alive = std::weak_ptr<bool>(alive)] {
      for (const auto& w : writes) {
        if (w.done) w.done(UV_ECANCELED);
        if (auto a = alive.lock(); !a || !*a) return;  // a `done` destroyed the stream
      }
    });
  }

 private:
  std::vector<Write> writes_;
  size_t bytes_ = 0;
};

// What Stream::write owes without writing, on a later turn: UV_ECANCELED on a closed stream, 0 for an empty write
// (libuv refuses one). True when the write was answered so.
inline bool answerWithoutWriting(Loop& loop, const std::shared_ptr<bool>& alive, bool closed, size_t count,
                                 std::function<void(int)>& done) {
  if (!closed && count > 0) return false;
  int status = closed ? UV_ECANCELED : 0;
  if (done) postWhileAlive(loop, alive, [done = std::move(done), status] { done(status); });
  return true;
}

// "host" without the brackets of an IPv6 literal ("[::1]" → "::1").
std::string bareHost(const std::string& host);
// "host:port" as the user named it, for messages ("[::1]:6514" for an IPv6 literal).
std::string endpointName(const std::string& host, uint16_t port);
// The error of a connect (or handshake) timer that fired: "connect to host:port timed out after 5s", UV_ETIMEDOUT.
Error timedOut(std::string_view what, const std::string& endpoint, std::chrono::milliseconds timeout);

}  // namespace sluice
