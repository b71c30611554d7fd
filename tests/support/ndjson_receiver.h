#pragma once
// An HTTP(S) server for tests that receives NDJSON POSTs (the clf_json sink's http output), on 127.0.0.1:0 on its
// own thread. It checks Content-Type and the basic-auth credentials, records every line of every accepted body,
// and can be told to answer the next requests with an error status.
#include <chrono>
#include <memory>
#include <string>
#include <vector>

namespace sluice {

class NdjsonReceiver {
 public:
  struct Options {
    bool tls = false;
    std::string cert_file;
    std::string key_file;
    std::string path = "/ingest";
    std::string expected_auth;   // the whole Authorization header expected ("" = none checked)
  };

  explicit NdjsonReceiver(Options options);
  ~NdjsonReceiver();
  NdjsonReceiver(const NdjsonReceiver&) = delete;
  NdjsonReceiver& operator=(const NdjsonReceiver&) = delete;

  std::string url() const;     // "http(s)://127.0.0.1:PORT/ingest"
  void failNext(int count, int status);

  std::vector<std::string> lines() const;   // accepted ones, in arrival order
  size_t requests() const;                  // every POST, failed ones included
  std::vector<std::string> protocolErrors() const;
  bool waitForLines(size_t count, std::chrono::milliseconds deadline) const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace sluice
