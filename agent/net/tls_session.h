#pragma once
// One TLS connection's state machine with no I/O of its own: ciphertext goes in through feed() and comes out
// through takeOutput() (or straight into the caller's buffer, writeTo()); plaintext goes in through write() and
// comes out through read(). The socket side stays with libuv (tls_stream.cc), and two sessions can be paired in
// memory for tests.
#include <openssl/ssl.h>

#include <cstddef>
#include <memory>
#include <string>

#include "agent/core/bytes.h"
#include "agent/core/result.h"
#include "agent/net/tls_context.h"

namespace sluice {

class TlsSession {
 public:
  // SSL_write is given at most this much per call: one full TLS record, so records are as large as they can be.
  static constexpr size_t kRecordBytes = 16 * 1024;

  // `name` is the server's name as the user gave it: sent as SNI unless it is an IP literal, and verified
  // against the certificate (DNS name or IP address) when the context verifies. Empty: no SNI, no name check.
  static Result<std::unique_ptr<TlsSession>> client(const TlsContext& ctx, const std::string& name);
  static Result<std::unique_ptr<TlsSession>> server(const TlsContext& ctx);

  ~TlsSession();
  TlsSession(const TlsSession&) = delete;
  TlsSession& operator=(const TlsSession&) = delete;

  // Advances the handshake; true once it is done. Errors carry the reason, with the verification failure
  // spelled out ("certificate verify failed: unable to get local issuer certificate").
  Result<bool> handshake();
  bool handshakeDone() const { return done_; }

  // Ciphertext from the peer.
  void feed(const char* data, size_t len);
  // Decrypts into `buf`, filling it as far as the buffered records allow; 0 when more ciphertext is needed or
  // the peer sent close_notify (see peerClosed()).
  Result<size_t> read(char* buf, size_t cap);
  bool peerClosed() const { return peer_closed_; }

  // Encrypts `len` bytes (the handshake must be done); the records wait in the output.
  Status write(const char* data, size_t len);
  // Encrypts `len` bytes with OpenSSL writing the records at the end of `out`, after what was pending: no copy
  // through a memory BIO.
  Status writeTo(const char* data, size_t len, ByteBuffer& out);
  // The most bytes of records `plain` bytes of plaintext become: per 16 KiB record at most a header, an explicit
  // nonce or IV, a tag or MAC and padding, which 128 bytes cover.
  static size_t sealedBytes(size_t plain) { return plain + (plain / kRecordBytes + 1) * 128; }
  // Queues close_notify.
  void shutdown();

  // Ciphertext waiting to be sent.
  size_t pendingOutput() const { return pending_.size(); }
  // Moves the pending ciphertext to the end of `out`.
  void takeOutput(ByteBuffer& out);
  std::string takeOutput();

  // The certificate verification result ("ok" when it passed or was not checked).
  std::string verifyResult() const;

 private:
  explicit TlsSession(SSL* ssl);
  Error failure(int ssl_error, const char* during);

  SSL* ssl_;
  BIO* in_;   // owned by ssl_
  BIO* out_;  // owned by ssl_: a sink that appends to *target_ (its data is &target_)
  ByteBuffer pending_;            // ciphertext not taken yet (the handshake, alerts, write())
  ByteBuffer* target_ = &pending_;  // the caller's buffer during writeTo()
  bool done_ = false;
  bool peer_closed_ = false;
};

// True when `host` is an IPv4 or IPv6 literal (brackets allowed).
bool isIpLiteral(const std::string& host);

}  // namespace sluice
