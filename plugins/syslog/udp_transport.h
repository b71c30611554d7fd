#pragma once
#include <deque>
#include <memory>
#include <vector>

#include "agent/loop/loop.h"
#include "agent/loop/uv_request.h"
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
  std::string describe() const override { return config_.url.redacted(); }

 private:
  struct Job;
  struct Send;
  struct SendRef {
    std::shared_ptr<Send> send;  // one datagram's request holds its batch: the last one back frees it
  };
  using SendReq = UvRequest<uv_udp_send_t, SendRef>;
  struct Back {
    UdpTransport* owner = nullptr;  // nulled when the transport is destroyed first
  };
  using ResolveReq = UvRequest<uv_getaddrinfo_t, Back>;

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
  ResolveReq* resolving_ = nullptr;
  std::deque<std::unique_ptr<Job>> waiting_;   // until the address is known
  std::vector<std::shared_ptr<Send>> sending_;  // batches whose datagrams are on their way
  bool stopping_ = false;
};

}  // namespace sluice::plugins::syslog
