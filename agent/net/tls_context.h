#pragma once
// An OpenSSL SSL_CTX with Sluice's policy: TLS 1.2 or newer, certificate and host name verification on unless
// explicitly disabled.
#include <openssl/ssl.h>

#include <memory>
#include <string>

#include "agent/core/result.h"

namespace sluice {

struct TlsClientOptions {
  std::string ca_file;      // PEM trust anchors; when set, only these are trusted (like curl --cacert)
  bool verify = true;       // false: no certificate or name check (the caller warns at start)
  std::string cert_file;    // optional client certificate (PEM) ...
  std::string key_file;     // ... and its key
};

struct TlsServerOptions {
  std::string cert_file;    // PEM chain
  std::string key_file;
  std::string client_ca_file;  // when set, clients must present a certificate signed by it
};

class TlsContext {
 public:
  // Without ca_file the system store is used, honouring SSL_CERT_FILE / SSL_CERT_DIR as OpenSSL's tools do.
  static Result<std::shared_ptr<TlsContext>> makeClient(const TlsClientOptions& options);
  static Result<std::shared_ptr<TlsContext>> makeServer(const TlsServerOptions& options);

  ~TlsContext();
  TlsContext(const TlsContext&) = delete;
  TlsContext& operator=(const TlsContext&) = delete;

  SSL_CTX* get() const { return ctx_; }
  bool isServer() const { return server_; }
  bool verifies() const { return verify_; }

 private:
  TlsContext(SSL_CTX* ctx, bool server, bool verify) : ctx_(ctx), server_(server), verify_(verify) {}
  SSL_CTX* ctx_;
  bool server_;
  bool verify_;
};

// The last OpenSSL errors of this thread as text (and clears the queue).
std::string opensslErrors();

}  // namespace sluice
