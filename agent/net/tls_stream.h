#pragma once
// TLS over a TcpStream. The TlsSession (OpenSSL over memory BIOs) turns plaintext into records and back; this
// layer feeds it what the TCP stream reads, writes its records through the TCP stream, and owns the handshake
// (with its timeout), the peer's verification, close_notify and the plaintext the owner sees.
#include <uv.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "agent/net/stream.h"
#include "agent/net/stream_support.h"
#include "agent/net/tcp_stream.h"
#include "agent/net/tls_session.h"

namespace sluice {

class TlsStream final : public Stream, private Stream::Handler {
 public:
  // Connects over TCP, then runs the client handshake: SNI and the name verified are options.server_name, or
  // the host. options.connect_timeout covers both.
  static std::unique_ptr<TlsStream> connect(Loop& loop, const ConnectOptions& options, Stream::Handler* handler);
  // Runs the server handshake over a TCP stream just accepted; onStreamConnected() fires when it is done.
  static Result<std::unique_ptr<TlsStream>> accept(Loop& loop, std::unique_ptr<TcpStream> tcp,
                                                   std::shared_ptr<TlsContext> tls, Stream::Handler* handler);

  TlsStream(Loop& loop, Stream::Handler* handler, std::unique_ptr<TcpStream> tcp);
  ~TlsStream() override;

  void write(const uv_buf_t* bufs, size_t count, std::function<void(int status)> done) override;
  size_t pendingWriteBytes() const override { return queued_.bytes() + tcp_->pendingWriteBytes(); }
  uint64_t socketBytesWritten() const override { return tcp_->socketBytesWritten(); }
  int64_t socketBytesAcknowledged() const override;
  void pauseReading() override;
  void resumeReading() override;
  void close(bool reset = false) override;
  void shutdown(std::chrono::milliseconds timeout, std::function<void()> done) override;
  bool isOpen() const override { return state_ != State::Closed && tcp_->isOpen(); }
  std::string peerAddress() const override { return tcp_->peerAddress(); }
  void setHandler(Stream::Handler* handler) override { handler_ = handler; }

 private:
  enum class State { Connecting, Handshaking, Open, Closed };

  // The TCP stream's callbacks.
  void onStreamConnected() noexcept override;
  void onStreamData(const char* data, size_t len) noexcept override;
  void onStreamClosed(const Error& why) noexcept override;
  static void onTimer(uv_timer_t* timer) noexcept;

  void startConnect(const ConnectOptions& options);
  void pump();                // handshake, then decrypt and deliver what is buffered
  void becomeOpen();
  void drain();
  void flush();               // hands the records waiting in the session to the TCP stream
  void submit(const uv_buf_t* bufs, size_t count, std::function<void(int)> done);
  Status encrypt(const uv_buf_t* bufs, size_t count, ByteBuffer& out);
  void fail(Error why);       // closes and tells the handler
  void failLater(Error why);  // from a call the owner made: the handler hears of it on a later turn
  void closeTcp(bool reset);

  Loop& loop_;
  Stream::Handler* handler_;
  std::unique_ptr<TcpStream> tcp_;
  State state_ = State::Connecting;
  bool paused_ = false;
  bool drain_posted_ = false;
  bool shutting_down_ = false;
  UvHandle<uv_timer_t> timer_;   // connect + handshake (clients)
  std::string endpoint_;         // "host:port", for messages
  std::chrono::milliseconds connect_timeout_{0};
  std::shared_ptr<TlsContext> ctx_;
  std::unique_ptr<TlsSession> tls_;
  PendingWrites queued_;         // plaintext written before the handshake was done
  // False once destroyed: a callback that let the owner destroy us checks it before touching members.
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace sluice
