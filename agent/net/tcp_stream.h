#pragma once
// The one Stream implementation: a uv_tcp_t, with a TlsSession on top when a TLS context is given.
#include <uv.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "agent/net/stream.h"
#include "agent/net/tls_session.h"

namespace sluice {

class TcpStream final : public Stream {
 public:
  TcpStream(Loop& loop, Handler* handler);
  ~TcpStream() override;

  void startConnect(const ConnectOptions& options);
  Status startAccept(uv_stream_t* listener, std::shared_ptr<TlsContext> tls);

  void write(const uv_buf_t* bufs, size_t count, std::function<void(int status)> done) override;
  size_t pendingWriteBytes() const override;
  uint64_t socketBytesWritten() const override { return socket_bytes_; }
  int64_t socketBytesAcknowledged() const override;
  void pauseReading() override;
  void resumeReading() override;
  void close(bool reset = false) override;
  void shutdown(std::chrono::milliseconds timeout, std::function<void()> done) override;
  bool isOpen() const override { return state_ != State::Closed; }
  std::string peerAddress() const override { return peer_; }
  void setHandler(Handler* handler) override { handler_ = handler; }

 private:
  enum class State { Resolving, Connecting, Handshaking, Open, Closed };
  struct WriteReq;
  struct ResolveReq;
  struct ConnectReq;
  struct Queued {
    std::vector<uv_buf_t> bufs;
    std::function<void(int)> done;
  };

  static void onResolved(uv_getaddrinfo_t* req, int status, struct addrinfo* res) noexcept;
  static void onConnect(uv_connect_t* req, int status) noexcept;
  static void onAlloc(uv_handle_t* handle, size_t suggested, uv_buf_t* buf) noexcept;
  static void onRead(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf) noexcept;
  static void onWrite(uv_write_t* req, int status) noexcept;
  static void onTimer(uv_timer_t* timer) noexcept;

  int connectNext();          // 0 when a connect is under way, else the last error
  void connected();
  void becomeOpen();
  void startReading();
  void pumpTls();             // handshake, then decrypt and deliver what is buffered
  void drainTls();
  void flushTls();
  void submit(const uv_buf_t* bufs, size_t count, std::function<void(int)> done);
  Status encrypt(const uv_buf_t* bufs, size_t count);
  void fail(Error why);       // from a libuv callback: closes and tells the handler
  void failLater(Error why);  // from a call the owner made: the handler hears of it on a later turn
  void closeHandles(bool reset);
  void finishShutdown();
  void cancelQueued();
  void unlink(WriteReq* req);

  Loop& loop_;
  Handler* handler_;
  State state_ = State::Connecting;
  bool client_ = false;
  bool paused_ = false;
  bool drain_posted_ = false;
  UvHandle<uv_tcp_t> tcp_;
  UvHandle<uv_timer_t> timer_;
  ResolveReq* resolve_ = nullptr;
  ConnectReq* connect_ = nullptr;
  std::vector<struct sockaddr_storage> addrs_;
  size_t next_addr_ = 0;
  int last_error_ = 0;
  std::string host_;
  uint16_t port_ = 0;
  std::string endpoint_;      // "host:port" as the user named it, for messages
  std::string peer_;
  std::chrono::milliseconds connect_timeout_{0};
  std::shared_ptr<TlsContext> tls_ctx_;
  std::unique_ptr<TlsSession> tls_;
  std::vector<Queued> queued_;   // written before the stream was up
  size_t queued_bytes_ = 0;
  WriteReq* writes_ = nullptr;   // in flight, so destruction can detach them
  uint64_t socket_bytes_ = 0;    // handed to uv_write so far
  std::function<void()> shutdown_done_;   // set while a graceful shutdown() waits for the peer
  // False once destroyed: a callback that let the owner destroy us checks it before touching members.
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace sluice
