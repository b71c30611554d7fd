#pragma once
// A connected byte stream on the loop: a TcpStream (tcp_stream.h), or a TlsStream (tls_stream.h) on top of one
// (OpenSSL over memory BIOs; the socket I/O stays libuv's). Used by the HTTP client and server and by the syslog
// sink; they see only this interface.
#include <uv.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "agent/core/result.h"
#include "agent/loop/loop.h"
#include "agent/net/tls_context.h"

namespace sluice {

class Stream {
 public:
  // The owner's callbacks. None is called after close() returns, and none from within a call the owner made
  // (write, close, ...), so the owner may destroy the Stream from a callback only through Loop::deferDelete.
  class Handler {
   public:
    virtual ~Handler() = default;
    // Client streams: TCP connected and, with TLS, the handshake done and the peer verified.
    virtual void onStreamConnected() noexcept {}
    virtual void onStreamData(const char* data, size_t len) noexcept = 0;
    // The stream ended: EOF (code UV_EOF), an error, a failed connect or handshake (message says why, e.g.
    // "certificate verify failed: self-signed certificate in certificate chain"), or a timeout.
    virtual void onStreamClosed(const Error& why) noexcept = 0;
  };

  struct ConnectOptions {
    std::string host;                          // name or IP literal, resolved with uv_getaddrinfo
    uint16_t port = 0;
    std::shared_ptr<TlsContext> tls;           // null: plain TCP
    std::string server_name;                   // SNI and the name verified; default: host
    std::chrono::milliseconds connect_timeout{10000};  // TCP connect + TLS handshake
  };

  static std::unique_ptr<Stream> connect(Loop& loop, const ConnectOptions& options, Handler* handler);
  // Accepts one pending connection from `listener` (inside its connection callback). With `tls`, the server
  // handshake runs first and onStreamConnected() fires when it is done.
  static Result<std::unique_ptr<Stream>> accept(Loop& loop, uv_stream_t* listener,
                                                std::shared_ptr<TlsContext> tls, Handler* handler);

  virtual ~Stream() = default;

  // Writes `bufs` (plaintext). The memory must stay valid until `done` runs; `done` gets 0 or a libuv error and
  // runs on a later turn (also when the stream is closed first: UV_ECANCELED). May be called before connected:
  // the data is sent once the stream is up. Destroying the Stream drops the `done` of writes still pending
  // (they are not called: their owner is presumed gone); after close() or destruction the memory is no longer
  // read, so it may be released then. With TLS the plaintext is encrypted at once (or when the handshake is done).
  virtual void write(const uv_buf_t* bufs, size_t count, std::function<void(int status)> done) = 0;
  // Bytes accepted by write() but not yet handed to the kernel.
  virtual size_t pendingWriteBytes() const = 0;

  // For protocols that have no acknowledgement of their own (syslog over TCP and TLS): the bytes handed to the
  // socket so far (TLS records included; a write made while open counts at once), and how many of them the
  // peer's TCP stack has acknowledged (-1 when unknown, e.g. not connected). Data acknowledged by the peer's
  // kernel survives a connection that breaks afterwards; data that is not may be lost with it.
  virtual uint64_t socketBytesWritten() const { return 0; }
  virtual int64_t socketBytesAcknowledged() const { return -1; }

  virtual void pauseReading() = 0;
  virtual void resumeReading() = 0;
  // Closes the stream (TLS close_notify when possible). `reset` sends a TCP RST instead (tests use it).
  virtual void close(bool reset = false) = 0;
  // Ends the stream gracefully, for protocols where the peer only reads (syslog): TLS close_notify and a TCP
  // half-close (FIN) once everything written is out, then reading (and dropping) until the peer closes its side,
  // or `timeout` passes; then closes. A close() with unread bytes in the socket (a TLS session ticket) would
  // send an RST instead, and an RST can make the peer drop what it had received but not yet read. No handler
  // callback after this call; `done` runs on a later turn (not at all if the Stream is destroyed first).
  virtual void shutdown(std::chrono::milliseconds timeout, std::function<void()> done) = 0;
  virtual bool isOpen() const = 0;

  virtual std::string peerAddress() const = 0;   // "127.0.0.1:54321"

  // Hands the stream's callbacks to another handler (an HTTP connection taken over for a WebSocket).
  virtual void setHandler(Handler* handler) = 0;
};

}  // namespace sluice
