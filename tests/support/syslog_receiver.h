#pragma once
// A syslog receiver for tests: TCP, TLS (RFC 5425) or UDP (RFC 5426) on 127.0.0.1:0, on its own thread and loop.
// It checks every message strictly (octet counting or LF framing, the RFC 5424 header shape) and records what
// arrived. It can go down (stop listening, close its connections after reading what arrived) and come back on
// the same port.
#include <chrono>
#include <memory>
#include <string>
#include <vector>

namespace sluice {

class SyslogReceiver {
 public:
  enum class Transport { Tcp, Tls, Udp };
  enum class Framing { Octet, Lf };
  struct Options {
    Transport transport = Transport::Tcp;
    Framing framing = Framing::Octet;        // tcp and tls
    std::string cert_file;                   // tls
    std::string key_file;
    std::string client_ca_file;              // tls: require a client certificate signed by this CA
    bool check_rfc5424 = true;
    bool keep_messages = true;               // false: only count them (benchmarks)
    // A receiver that stops reading: a small receive buffer (so the sender's data is soon left unacknowledged)
    // and no reads until resume().
    bool stalled = false;
  };

  explicit SyslogReceiver(Options options);
  ~SyslogReceiver();
  SyslogReceiver(const SyslogReceiver&) = delete;
  SyslogReceiver& operator=(const SyslogReceiver&) = delete;

  uint16_t port() const { return port_; }
  std::string url() const;                   // "tcp://127.0.0.1:PORT", "tls://localhost:PORT", "udp://..."

  void goDown();
  void comeUp();
  void resume();                             // a stalled receiver reads again, on every connection

  // Thread-safe views of what arrived, in arrival order (duplicates included).
  std::vector<std::string> messages() const;
  std::vector<std::string> bodies() const;   // the MSG parts
  size_t messageCount() const;
  bool waitForMessages(size_t count, std::chrono::milliseconds deadline) const;
  std::vector<std::string> protocolErrors() const;
  std::vector<std::string> connectionErrors() const;  // TLS handshake failures, resets
  size_t connections() const;                          // accepted (TLS: handshake done)
  size_t partialFrames() const;                        // connections that ended inside a frame

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
  uint16_t port_ = 0;
};

}  // namespace sluice
