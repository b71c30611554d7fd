#pragma once
// A Stream over a uv_tcp_t: resolve, connect (each address in turn), accept, read, a write queue, a graceful
// shutdown. TLS is a layer on top (tls_stream.h) that uses the few calls below marked for it.
#include <uv.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "agent/core/bytes.h"
#include "agent/loop/uv_request.h"
#include "agent/net/stream.h"
#include "agent/net/stream_support.h"

namespace sluice {

class TcpStream final : public Stream {
 public:
  TcpStream(Loop& loop, Handler* handler);
  ~TcpStream() override;

  // `options.tls` is not this layer's (Stream::connect puts a TlsStream on top); a zero connect_timeout sets no
  // timer.
  void startConnect(const ConnectOptions& options);
  Status startAccept(uv_stream_t* listener);

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

  // For a layer on top (TLS). On an open stream: writes `data`, which the stream keeps until it is sent
  // (TLS records, which the layer need not hold); on a closed one `done` hears UV_ECANCELED.
  void writeOwned(ByteBuffer data, std::function<void(int status)> done);
  // Sends `data` only if the socket takes it at once (a last alert before closing); false when it did not.
  bool tryWrite(std::string data);
  // shutdown() that keeps the handler: the layer still sees what is read (the peer's close_notify) and the end.
  void finish(std::chrono::milliseconds timeout, std::function<void()> done);
  // "host:port" of the peer as named in messages.
  const std::string& endpoint() const { return endpoint_; }

 private:
  enum class State { Resolving, Connecting, Open, Closed };
  struct Back {
    TcpStream* owner = nullptr;  // nulled when the stream closes before the request is back
  };
  using ResolveReq = UvRequest<uv_getaddrinfo_t, Back>;
  using ConnectReq = UvRequest<uv_connect_t, Back>;
  struct WriteData;
  using WriteReq = UvRequest<uv_write_t, WriteData>;

  static void onResolved(uv_getaddrinfo_t* req, int status, struct addrinfo* res) noexcept;
  static void onConnect(uv_connect_t* req, int status) noexcept;
  static void onAlloc(uv_handle_t* handle, size_t suggested, uv_buf_t* buf) noexcept;
  static void onRead(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf) noexcept;
  static void onWrite(uv_write_t* req, int status) noexcept;
  static void onShutdown(uv_shutdown_t* req, int status) noexcept;
  static void onTimer(uv_timer_t* timer) noexcept;

  void resolve();
  void resolved(int status, struct addrinfo* res);
  int connectNext();          // 0 when a connect is under way, else the last error
  void connected(int status);
  void becomeOpen();
  void startReading();
  void submit(const uv_buf_t* bufs, size_t count, std::function<void(int)> done, ByteBuffer owned);
  void fail(Error why);       // from a libuv callback: closes and tells the handler
  void failLater(Error why);  // from a call the owner made: the handler hears of it on a later turn
  void closeHandles(bool reset);
  void finishShutdown();

  Loop& loop_;
  Handler* handler_;
  State state_ = State::Connecting;
  bool client_ = false;
  bool paused_ = false;
  UvHandle<uv_tcp_t> tcp_;
  UvHandle<uv_timer_t> timer_;
  ResolveReq* resolve_ = nullptr;   // in flight
  ConnectReq* connect_ = nullptr;   // in flight
  std::vector<struct sockaddr_storage> addrs_;
  size_t next_addr_ = 0;
  int last_error_ = 0;
  std::string host_;
  uint16_t port_ = 0;
  std::string endpoint_;      // "host:port" as the user named it, for messages
  std::string peer_;
  std::chrono::milliseconds connect_timeout_{0};
  PendingWrites queued_;      // written before the stream was up
  uint64_t socket_bytes_ = 0;    // handed to uv_write so far
  std::function<void()> shutdown_done_;   // set while a graceful shutdown() waits for the peer
  // False once destroyed: a callback that let the owner destroy us checks it before touching members. Writes in
  // flight hold it too, so that their callbacks know whether their stream is still there.
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace sluice
