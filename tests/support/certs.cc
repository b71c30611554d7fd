#include "tests/support/certs.h"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include <cstdio>
#include <memory>

#include "agent/net/tls_context.h"

namespace sluice {

namespace {

struct KeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
struct CertFree {
  void operator()(X509* x) const { X509_free(x); }
};
using Key = std::unique_ptr<EVP_PKEY, KeyFree>;
using Cert = std::unique_ptr<X509, CertFree>;

struct Issued {
  Key key;
  Cert cert;
};

Status addExt(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  if (ext == nullptr) return Error{std::string("extension ") + OBJ_nid2sn(nid) + ": " + opensslErrors()};
  int ok = X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
  if (ok != 1) return Error{std::string("add extension ") + OBJ_nid2sn(nid) + ": " + opensslErrors()};
  return {};
}

// `issuer` null: self-signed (a CA).
Result<Issued> issue(const std::string& cn, const Issued* issuer, bool ca, const char* eku, const char* san) {
  Key key(EVP_EC_gen("P-256"));
  if (!key) return Error{"EC key generation failed: " + opensslErrors()};
  Cert cert(X509_new());
  X509* x = cert.get();
  uint64_t serial = 0;
  RAND_bytes(reinterpret_cast<unsigned char*>(&serial), sizeof serial);
  X509_set_version(x, 2);
  ASN1_INTEGER_set_uint64(X509_get_serialNumber(x), serial >> 1);  // positive
  X509_gmtime_adj(X509_getm_notBefore(x), -3600);
  X509_gmtime_adj(X509_getm_notAfter(x), 2 * 86400);
  X509_set_pubkey(x, key.get());
  X509_NAME* name = X509_get_subject_name(x);
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("Sluice tests"), -1, -1,
                             0);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
  X509* issuer_cert = issuer != nullptr ? issuer->cert.get() : x;
  X509_set_issuer_name(x, X509_get_subject_name(issuer_cert));

  // The subject key id first: a self-signed CA's authority key id is computed from it.
  if (auto st = addExt(x, issuer_cert, NID_subject_key_identifier, "hash"); !st) return st.takeError();
  if (auto st = addExt(x, issuer_cert, NID_authority_key_identifier, "keyid:always"); !st) return st.takeError();
  if (ca) {
    if (auto st = addExt(x, issuer_cert, NID_basic_constraints, "critical,CA:TRUE"); !st) return st.takeError();
    if (auto st = addExt(x, issuer_cert, NID_key_usage, "critical,keyCertSign,cRLSign"); !st) return st.takeError();
  } else {
    if (auto st = addExt(x, issuer_cert, NID_basic_constraints, "critical,CA:FALSE"); !st) return st.takeError();
    if (auto st = addExt(x, issuer_cert, NID_key_usage, "critical,digitalSignature"); !st) return st.takeError();
    if (auto st = addExt(x, issuer_cert, NID_ext_key_usage, eku); !st) return st.takeError();
  }
  if (san != nullptr) {
    if (auto st = addExt(x, issuer_cert, NID_subject_alt_name, san); !st) return st.takeError();
  }
  EVP_PKEY* signer = issuer != nullptr ? issuer->key.get() : key.get();
  if (X509_sign(x, signer, EVP_sha256()) == 0) return Error{"signing " + cn + " failed: " + opensslErrors()};
  return Issued{std::move(key), std::move(cert)};
}

Status writePem(const std::string& path, X509* cert, EVP_PKEY* key) {
  FILE* f = std::fopen(path.c_str(), "w");
  if (f == nullptr) return Error{"cannot write " + path};
  bool ok = cert != nullptr ? PEM_write_X509(f, cert) == 1
                            : PEM_write_PrivateKey(f, key, nullptr, nullptr, 0, nullptr, nullptr) == 1;
  ok = std::fclose(f) == 0 && ok;
  if (!ok) return Error{"cannot write " + path + ": " + opensslErrors()};
  return {};
}

Status save(const Issued& what, const std::string& cert_path, const std::string& key_path) {
  if (auto st = writePem(cert_path, what.cert.get(), nullptr); !st) return st;
  return writePem(key_path, nullptr, what.key.get());
}

}  // namespace

Result<TestCerts> makeTestCerts(const std::string& dir) {
  TestCerts out;
  out.ca_cert = dir + "/ca.pem";
  out.ca_key = dir + "/ca-key.pem";
  out.server_cert = dir + "/server.pem";
  out.server_key = dir + "/server-key.pem";
  out.client_cert = dir + "/client.pem";
  out.client_key = dir + "/client-key.pem";
  out.wrong_ca_cert = dir + "/wrong-ca.pem";
  out.wrong_ca_key = dir + "/wrong-ca-key.pem";

  auto ca = issue("Sluice Test CA", nullptr, true, nullptr, nullptr);
  if (!ca) return ca.takeError();
  auto server = issue("localhost", &*ca, false, "serverAuth", "DNS:localhost,IP:127.0.0.1");
  if (!server) return server.takeError();
  auto client = issue("sluice-test-client", &*ca, false, "clientAuth", nullptr);
  if (!client) return client.takeError();
  auto wrong = issue("Unrelated Test CA", nullptr, true, nullptr, nullptr);
  if (!wrong) return wrong.takeError();

  if (auto st = save(*ca, out.ca_cert, out.ca_key); !st) return st.takeError();
  if (auto st = save(*server, out.server_cert, out.server_key); !st) return st.takeError();
  if (auto st = save(*client, out.client_cert, out.client_key); !st) return st.takeError();
  if (auto st = save(*wrong, out.wrong_ca_cert, out.wrong_ca_key); !st) return st.takeError();
  return out;
}

}  // namespace sluice
