#include "agent/net/tls_session.h"

#include <arpa/inet.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <new>

namespace sluice {

namespace {

std::string stripBrackets(const std::string& host) {
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') return host.substr(1, host.size() - 2);
  return host;
}

// Pending output kept beyond this is given back once taken: a write() of a whole batch must not size every
// connection's buffer for good.
constexpr size_t kKeptPending = 64 * 1024;

// The output BIO: a sink whose writes land in the session's current target (its data points at the session's
// target_), so that OpenSSL's records reach their buffer with one copy (from its own record buffer) instead of two
// (into a memory BIO, then out of it).
int outputWrite(BIO* bio, const char* data, int len) {
  auto* target = static_cast<ByteBuffer* const*>(BIO_get_data(bio));
  if (target == nullptr || len < 0) return -1;
  try {
    (*target)->append(data, static_cast<size_t>(len));
  } catch (const std::bad_alloc&) {
    return -1;  // no exception through OpenSSL: the write fails, as a memory BIO's would
  }
  return len;
}

long outputCtrl(BIO*, int cmd, long, void*) { return cmd == BIO_CTRL_FLUSH ? 1 : 0; }

int outputCreate(BIO* bio) {
  BIO_set_init(bio, 1);
  return 1;
}

// Made once for the process and never freed: every output BIO refers to it.
BIO_METHOD* outputMethod() {
  static BIO_METHOD* method = [] {
    BIO_METHOD* m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "sluice TLS output");
    if (m != nullptr) {
      BIO_meth_set_write(m, outputWrite);
      BIO_meth_set_ctrl(m, outputCtrl);
      BIO_meth_set_create(m, outputCreate);
    }
    return m;
  }();
  return method;
}

}  // namespace

bool isIpLiteral(const std::string& host) {
  std::string h = stripBrackets(host);
  unsigned char buf[sizeof(struct in6_addr)];
  return inet_pton(AF_INET, h.c_str(), buf) == 1 || inet_pton(AF_INET6, h.c_str(), buf) == 1;
}

TlsSession::TlsSession(SSL* ssl) : ssl_(ssl) {
  in_ = BIO_new(BIO_s_mem());
  BIO_METHOD* method = outputMethod();
  out_ = method != nullptr ? BIO_new(method) : nullptr;
  if (out_ != nullptr) BIO_set_data(out_, &target_);
  // An empty input BIO means "wait for more", not EOF.
  BIO_set_mem_eof_return(in_, -1);
  SSL_set_bio(ssl_, in_, out_);
}

TlsSession::~TlsSession() { SSL_free(ssl_); }

Result<std::unique_ptr<TlsSession>> TlsSession::client(const TlsContext& ctx, const std::string& name) {
  ERR_clear_error();
  SSL* ssl = SSL_new(ctx.get());
  if (ssl == nullptr) return Error{"cannot create TLS session: " + opensslErrors()};
  std::unique_ptr<TlsSession> session(new TlsSession(ssl));
  SSL_set_connect_state(ssl);
  if (!name.empty()) {
    std::string host = stripBrackets(name);
    bool ip = isIpLiteral(host);
    // RFC 6066: SNI carries host names only, never addresses.
    if (!ip && SSL_set_tlsext_host_name(ssl, host.c_str()) != 1) {
      return Error{"cannot set TLS server name '" + host + "': " + opensslErrors()};
    }
    if (ctx.verifies()) {
      int ok = 0;
      if (ip) {
        ok = X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), host.c_str());
      } else {
        SSL_set_hostflags(ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
        ok = SSL_set1_host(ssl, host.c_str());
      }
      if (ok != 1) return Error{"cannot verify TLS peer name '" + host + "': " + opensslErrors()};
    }
  }
  return session;
}

Result<std::unique_ptr<TlsSession>> TlsSession::server(const TlsContext& ctx) {
  ERR_clear_error();
  SSL* ssl = SSL_new(ctx.get());
  if (ssl == nullptr) return Error{"cannot create TLS session: " + opensslErrors()};
  std::unique_ptr<TlsSession> session(new TlsSession(ssl));
  SSL_set_accept_state(ssl);
  return session;
}

Error TlsSession::failure(int ssl_error, const char* during) {
  long verify = SSL_get_verify_result(ssl_);
  std::string errors = opensslErrors();
  std::string message;
  // Without SSL_VERIFY_PEER the result is computed but ignored, so it is not why the session failed.
  if (verify != X509_V_OK && (SSL_get_verify_mode(ssl_) & SSL_VERIFY_PEER) != 0) {
    message = std::string("certificate verify failed: ") + X509_verify_cert_error_string(verify);
  } else if (!errors.empty()) {
    message = errors;
  } else if (ssl_error == SSL_ERROR_SYSCALL || ssl_error == SSL_ERROR_ZERO_RETURN) {
    message = std::string("connection closed during ") + during;
  } else {
    message = std::string("TLS error ") + std::to_string(ssl_error) + " during " + during;
  }
  return Error{std::move(message)};
}

Result<bool> TlsSession::handshake() {
  if (done_) return true;
  ERR_clear_error();
  int rc = SSL_do_handshake(ssl_);
  if (rc == 1) {
    done_ = true;
    return true;
  }
  int err = SSL_get_error(ssl_, rc);
  if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) return false;
  return failure(err, "the handshake");
}

void TlsSession::feed(const char* data, size_t len) {
  // A memory BIO grows as needed; the write cannot fail short of running out of memory.
  while (len > 0) {
    int chunk = static_cast<int>(std::min<size_t>(len, 1u << 30));
    int n = BIO_write(in_, data, chunk);
    if (n <= 0) break;
    data += n;
    len -= static_cast<size_t>(n);
  }
}

Result<size_t> TlsSession::read(char* buf, size_t cap) {
  size_t total = 0;
  ERR_clear_error();
  while (total < cap && !peer_closed_) {
    size_t got = 0;
    int rc = SSL_read_ex(ssl_, buf + total, cap - total, &got);
    if (rc == 1) {
      total += got;
      continue;
    }
    int err = SSL_get_error(ssl_, rc);
    if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) break;
    if (err == SSL_ERROR_ZERO_RETURN) {
      peer_closed_ = true;
      break;
    }
    // Plaintext decrypted before the failure is still the peer's data; the error shows on the next call.
    if (total > 0) break;
    return failure(err, "read");
  }
  if (!done_ && SSL_is_init_finished(ssl_)) done_ = true;
  return total;
}

Status TlsSession::write(const char* data, size_t len) {
  ERR_clear_error();
  while (len > 0) {
    size_t piece = std::min(len, kRecordBytes);
    size_t written = 0;
    int rc = SSL_write_ex(ssl_, data, piece, &written);
    if (rc != 1) return failure(SSL_get_error(ssl_, rc), "write");
    data += written;
    len -= written;
  }
  return {};
}

Status TlsSession::writeTo(const char* data, size_t len, ByteBuffer& out) {
  takeOutput(out);
  target_ = &out;
  Status st = write(data, len);
  target_ = &pending_;
  return st;
}

void TlsSession::shutdown() {
  ERR_clear_error();
  if (SSL_is_init_finished(ssl_)) SSL_shutdown(ssl_);
  ERR_clear_error();
}

void TlsSession::takeOutput(ByteBuffer& out) {
  if (pending_.empty()) return;
  out.append(pending_.data(), pending_.size());
  pending_.clear();
  pending_.shrinkTo(kKeptPending);
}

std::string TlsSession::takeOutput() {
  std::string out(pending_.view());
  pending_.clear();
  pending_.shrinkTo(kKeptPending);
  return out;
}

std::string TlsSession::verifyResult() const { return X509_verify_cert_error_string(SSL_get_verify_result(ssl_)); }

}  // namespace sluice
