#include "agent/net/tls_context.h"

#include <openssl/err.h>
#include <openssl/x509.h>

#include <strings.h>

#include <algorithm>
#include <cstring>
#include <utility>
#include <vector>

namespace sluice {

namespace {

Error tlsError(std::string what) {
  std::string reasons = opensslErrors();
  if (!reasons.empty()) what += ": " + reasons;
  return Error{std::move(what)};
}

// A new context for `method`, TLS 1.2 or later, freed on every early return; released into the TlsContext on
// success. `ctx` is null when OpenSSL could not make one (its error queue, cleared first, says why).
struct CtxGuard {
  explicit CtxGuard(const SSL_METHOD* method) {
    ERR_clear_error();
    ctx = SSL_CTX_new(method);
    if (ctx != nullptr) SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  }
  ~CtxGuard() { SSL_CTX_free(ctx); }
  CtxGuard(const CtxGuard&) = delete;
  CtxGuard& operator=(const CtxGuard&) = delete;
  SSL_CTX* ctx = nullptr;
  SSL_CTX* release() { return std::exchange(ctx, nullptr); }
};

Status loadCertAndKey(SSL_CTX* ctx, const std::string& cert_file, const std::string& key_file) {
  if (SSL_CTX_use_certificate_chain_file(ctx, cert_file.c_str()) != 1) {
    return tlsError("cannot load certificate file " + cert_file);
  }
  if (SSL_CTX_use_PrivateKey_file(ctx, key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
    if (ERR_GET_REASON(ERR_peek_last_error()) == X509_R_KEY_VALUES_MISMATCH) {
      return tlsError("key file " + key_file + " does not match certificate " + cert_file);
    }
    return tlsError("cannot load key file " + key_file);
  }
  if (SSL_CTX_check_private_key(ctx) != 1) {
    return tlsError("key file " + key_file + " does not match certificate " + cert_file);
  }
  return {};
}

}  // namespace

std::string opensslErrors() {
  // Only the reasons, once each: "No such file or directory", not OpenSSL's three wrappers of the same errno.
  std::vector<std::string> reasons;
  char buf[256];
  while (unsigned long e = ERR_get_error()) {
    std::string reason;
    if (ERR_SYSTEM_ERROR(e)) {
      reason = std::strerror(ERR_GET_REASON(e));
    } else if (const char* r = ERR_reason_error_string(e); r != nullptr) {
      reason = r;
    } else {
      ERR_error_string_n(e, buf, sizeof buf);
      reason = buf;
    }
    if (reason == "system lib") continue;
    bool repeated = std::any_of(reasons.begin(), reasons.end(), [&](const std::string& seen) {
      return seen.size() >= reason.size() && strncasecmp(seen.c_str(), reason.c_str(), reason.size()) == 0;
    });
    if (!repeated) reasons.push_back(std::move(reason));
  }
  std::string out;
  for (const auto& r : reasons) out += (out.empty() ? "" : "; ") + r;
  return out;
}

Result<std::shared_ptr<TlsContext>> TlsContext::makeClient(const TlsClientOptions& options) {
  CtxGuard guard(TLS_client_method());
  SSL_CTX* ctx = guard.ctx;
  if (ctx == nullptr) return tlsError("cannot create TLS client context");
  if (options.verify) {
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
    if (!options.ca_file.empty()) {
      if (SSL_CTX_load_verify_locations(ctx, options.ca_file.c_str(), nullptr) != 1) {
        return tlsError("cannot load CA file " + options.ca_file);
      }
    } else if (SSL_CTX_set_default_verify_paths(ctx) != 1) {
      return tlsError("cannot load the system trust store");
    }
  } else {
    SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nullptr);
  }
  if (!options.cert_file.empty() || !options.key_file.empty()) {
    if (options.cert_file.empty() || options.key_file.empty()) {
      return Error{"a client certificate needs both cert_file and key_file"};
    }
    if (auto st = loadCertAndKey(ctx, options.cert_file, options.key_file); !st) return st.takeError();
  }
  return std::shared_ptr<TlsContext>(new TlsContext(guard.release(), false, options.verify));
}

Result<std::shared_ptr<TlsContext>> TlsContext::makeServer(const TlsServerOptions& options) {
  CtxGuard guard(TLS_server_method());
  SSL_CTX* ctx = guard.ctx;
  if (ctx == nullptr) return tlsError("cannot create TLS server context");
  if (options.cert_file.empty() || options.key_file.empty()) {
    return Error{"a TLS server needs cert_file and key_file"};
  }
  if (auto st = loadCertAndKey(ctx, options.cert_file, options.key_file); !st) return st.takeError();
  bool verify = false;
  if (!options.client_ca_file.empty()) {
    if (SSL_CTX_load_verify_locations(ctx, options.client_ca_file.c_str(), nullptr) != 1) {
      return tlsError("cannot load client CA file " + options.client_ca_file);
    }
    // Tell clients which issuers we accept so one holding several certificates picks the right one.
    STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(options.client_ca_file.c_str());
    if (names != nullptr) SSL_CTX_set_client_CA_list(ctx, names);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
    verify = true;
  }
  // Session ids need a context id when client certificates are verified, or resumption fails.
  static const unsigned char kSessionId[] = "sluice";
  SSL_CTX_set_session_id_context(ctx, kSessionId, sizeof kSessionId - 1);
  return std::shared_ptr<TlsContext>(new TlsContext(guard.release(), true, verify));
}

TlsContext::~TlsContext() { SSL_CTX_free(ctx_); }

}  // namespace sluice
