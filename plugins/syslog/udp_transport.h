#pragma once
#include <deque>
#include <memory>

#include "agent/loop/loop.h"
#include "agent/sink/transport.h"
#include "plugins/syslog/config.h"
#include "plugins/syslog/encoder.h"

namespace sluice::plugins::syslog {

// Syslog over UDP (RFC 5426): one message per datagram, on a connected socket so that an ICMP "port
// unreachable" shows up as an error on a later send. UDP has no acknowledgement: a batch is delivered once every
// datagram left this host; a local error (refused, no buffer space) makes the whole batch a Retry.
class UdpTransport final : public SinkTransport {
 public:
  UdpTransport(Loop& loop, std::string name, SyslogConfig config);
  ~UdpTransport() override;

  void deliver(const Batch& batch, DeliverCallback done) override;
  void stop(std::function<void()> done) override;

 private:
  struct Job;
  struct Send;
  struct Resolve;

  void resolve();
  void onResolved(int status, const struct sockaddr* addr);
  void send(std::unique_ptr<Job> job);
  static void onSent(uv_udp_send_t* req, int status) noexcept;
  void finish(Send* send);
  void failAll(const std::string& why);
  void resetSocket();

  Loop& loop_;
  std::string name_;
  SyslogConfig config_;
  std::string endpoint_;
  UvHandle<uv_udp_t> udp_;
  bool ready_ = false;
  Resolve* resolving_ = nullptr;
  std::deque<std::unique_ptr<Job>> waiting_;   // until the address is known
  std::vector<Send*> sending_;                 // batches whose datagrams are on their way
  bool stopping_ = false;
};

}  // namespace sluice::plugins::syslog
