#pragma once
// Blocking HTTP/1.1 over a plain socket for end-to-end tests: what a curl or a browser would send to the admin
// API and the logplex input, byte for byte (chunked bodies, upgrades, slow readers), with deadlines.
#include <chrono>
#include <map>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace sluice {

struct RawResponse {
  int status = 0;
  std::map<std::string, std::string> headers;   // names lower-cased
  std::string body;                             // de-chunked
  std::string header(const std::string& lower_name) const {
    auto it = headers.find(lower_name);
    return it == headers.end() ? std::string() : it->second;
  }
};

class RawConnection {
 public:
  explicit RawConnection(uint16_t port, int rcvbuf = 0);   // rcvbuf > 0: a small receive buffer (a slow reader)
  ~RawConnection();
  RawConnection(const RawConnection&) = delete;
  RawConnection& operator=(const RawConnection&) = delete;

  bool ok() const { return fd_ >= 0; }
  bool send(const std::string& bytes);
  // Reads what arrives within `wait` (appended to buffer()); false at EOF or error.
  bool readSome(std::chrono::milliseconds wait);
  // Reads until `text` is in the buffer or the deadline passes.
  bool readUntil(const std::string& text, std::chrono::milliseconds deadline);
  // Reads until the peer closes (true) or the deadline passes.
  bool readToEnd(std::chrono::milliseconds deadline);
  std::string& buffer() { return buf_; }
  bool closed() const { return eof_; }

 private:
  int fd_ = -1;
  std::string buf_;
  bool eof_ = false;
};

// Parses a complete response in `raw` (status line, headers, Content-Length or chunked body).
std::optional<RawResponse> parseRawResponse(const std::string& raw);

// One request on a fresh connection ("Connection: close" is added), the whole answer read.
std::optional<RawResponse> rawRequest(uint16_t port, const std::string& method, const std::string& target,
                                      const std::vector<std::pair<std::string, std::string>>& headers = {},
                                      const std::string& body = "",
                                      std::chrono::milliseconds deadline = std::chrono::seconds(30));
inline std::optional<RawResponse> httpGet(uint16_t port, const std::string& target,
                                          const std::vector<std::pair<std::string, std::string>>& headers = {}) {
  return rawRequest(port, "GET", target, headers);
}

// The port in a log line "... http://127.0.0.1:PORT..." after `marker`, waiting for it in `text_fn()`.
uint16_t waitForPort(const std::function<std::string()>& text_fn, const std::string& marker,
                     std::chrono::milliseconds deadline);

}  // namespace sluice
