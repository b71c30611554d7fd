#pragma once
// Certificates made at test time with OpenSSL's C API (no openssl CLI, nothing checked in): a CA, a server
// certificate it signed for DNS:localhost and IP:127.0.0.1, a client certificate it signed, and an unrelated
// "wrong" CA. All EC P-256, valid from an hour ago for two days.
#include <string>

#include "agent/core/result.h"

namespace sluice {

struct TestCerts {
  std::string ca_cert;        // PEM
  std::string ca_key;
  std::string server_cert;    // CN=localhost, SAN DNS:localhost, IP:127.0.0.1
  std::string server_key;
  std::string client_cert;    // CN=sluice-test-client, extendedKeyUsage clientAuth
  std::string client_key;
  std::string wrong_ca_cert;  // trusts nothing above
  std::string wrong_ca_key;
};

// Writes the PEM files into `dir` and returns their paths.
Result<TestCerts> makeTestCerts(const std::string& dir);

}  // namespace sluice
