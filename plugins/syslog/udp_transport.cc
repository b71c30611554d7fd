#include "plugins/syslog/udp_transport.h"

#include <netdb.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstring>

namespace sluice::plugins::syslog {

struct UdpTransport::Job {
  const Batch* batch = nullptr;
  DeliverCallback done;
};

// One batch in flight: its datagrams, held by the transport and by each datagram's request. It lives until the
// last request is back, which may be after the transport is gone (closing the socket cancels them): `owner` is
// then null.
struct UdpTransport::Send {
  UdpTransport* owner = nullptr;
  std::unique_ptr<Job> job;
  std::vector<Datagram> datagrams;
  EncodeCounts counts;
  size_t outstanding = 0;
  int error = 0;
};

UdpTransport::UdpTransport(Loop& loop, std::string name, SyslogConfig config)
    : loop_(loop), name_(std::move(name)), config_(std::move(config)) {
  endpoint_ = "udp://" + config_.url.authority();
  if (!config_.url.port_explicit) endpoint_ += ":" + std::to_string(config_.url.port);
}

UdpTransport::~UdpTransport() {
  if (resolving_ != nullptr) {
    resolving_->owner = nullptr;
    uv_cancel(reinterpret_cast<uv_req_t*>(resolving_->req()));
  }
  for (auto& s : sending_) s->owner = nullptr;
  udp_.close();
}

void UdpTransport::deliver(const Batch& batch, DeliverCallback done) {
  if (stopping_) {
    done(Outcome::retry("stopping"));
    return;
  }
  auto job = std::make_unique<Job>();
  job->batch = &batch;
  job->done = std::move(done);
  if (ready_) {
    send(std::move(job));
    return;
  }
  waiting_.push_back(std::move(job));
  if (resolving_ == nullptr) resolve();
}

void UdpTransport::resolve() {
  struct addrinfo hints {};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_DGRAM;
  std::string port = std::to_string(config_.url.port);
  auto req = ResolveReq::make(Back{this});
  ResolveReq* in_flight = req.get();
  int rc = ResolveReq::start(req, [&](uv_getaddrinfo_t* r) {
    return uv_getaddrinfo(
        loop_.get(), r,
        [](uv_getaddrinfo_t* done, int status, struct addrinfo* res) noexcept {
          auto own = ResolveReq::adopt(done);  // frees `res` with the request, after onResolved
          if (own->owner == nullptr) return;
          own->owner->resolving_ = nullptr;
          own->owner->onResolved(status, status == 0 && res != nullptr ? res->ai_addr : nullptr);
        },
        config_.url.host.c_str(), port.c_str(), &hints);
  });
  if (rc < 0) {
    failAll("cannot resolve " + config_.url.host + ": " + uv_strerror(rc));
    return;
  }
  resolving_ = in_flight;
}

void UdpTransport::onResolved(int status, const struct sockaddr* addr) {
  if (status < 0 || addr == nullptr) {
    failAll("cannot resolve " + config_.url.host + ": " + uv_strerror(status < 0 ? status : UV_EAI_NONAME));
    return;
  }
  int rc = udp_.init(this, [&](uv_udp_t* u) { return uv_udp_init_ex(loop_.get(), u, addr->sa_family); });
  if (rc == 0) rc = uv_udp_connect(udp_.get(), addr);
  if (rc < 0) {
    udp_.close();
    failAll("cannot open a UDP socket to " + endpoint_ + ": " + uv_strerror(rc));
    return;
  }
  ready_ = true;
  spdlog::info("sink {}: sending to {}", name_, endpoint_);
  auto waiting = std::move(waiting_);
  waiting_.clear();
  for (auto& job : waiting) send(std::move(job));
}

void UdpTransport::send(std::unique_ptr<Job> job) {
  auto s = std::make_shared<Send>();
  s->owner = this;
  s->job = std::move(job);
  udpDatagrams(s->job->batch->bytes.view(), config_.max_datagram, config_.oversize, s->datagrams, s->counts);
  sending_.push_back(s);
  s->outstanding = 1;  // held until every send is issued, so a synchronous failure cannot finish it early
  for (Datagram& d : s->datagrams) {
    auto req = SendReq::make(SendRef{s});
    int rc = SendReq::start(req, [&](uv_udp_send_t* r) {
      return uv_udp_send(r, udp_.get(), d.parts, d.count, nullptr, &UdpTransport::onSent);
    });
    if (rc < 0) {
      s->error = rc;
      break;
    }
    ++s->outstanding;
  }
  --s->outstanding;
  if (s->outstanding == 0) finish(s.get());  // nothing in flight (the first send failed): answer now
}

void UdpTransport::onSent(uv_udp_send_t* r, int status) noexcept {
  auto req = SendReq::adopt(r);
  Send* s = req->send.get();
  if (status < 0 && s->error == 0) s->error = status;
  if (--s->outstanding > 0 || s->owner == nullptr) return;
  s->owner->finish(s);
}

void UdpTransport::finish(Send* s) {
  auto it = std::find_if(sending_.begin(), sending_.end(), [s](const auto& p) { return p.get() == s; });
  std::shared_ptr<Send> own = *it;
  sending_.erase(it);
  DeliverCallback done = std::move(s->job->done);
  if (s->error != 0) {
    std::string why = "send to " + endpoint_ + " failed: " + uv_strerror(s->error) + " (batch resent whole)";
    // A refused port (ICMP) or a broken socket: start over with a fresh one on the next delivery.
    if (s->error != UV_ENOBUFS && s->error != UV_EAGAIN) resetSocket();
    done(Outcome::retry(why));
    return;
  }
  countEvent("datagram_splits", s->counts.datagram_splits);
  countEvent("truncated", s->counts.truncated);
  done(Outcome::delivered());
}

void UdpTransport::resetSocket() {
  if (!ready_) return;
  ready_ = false;
  for (auto& other : sending_) other->owner = nullptr;  // their requests come back cancelled and free them
  std::vector<std::shared_ptr<Send>> orphans;
  orphans.swap(sending_);
  udp_.close();
  for (auto& other : orphans) {
    // Cancelled with the socket: they are retried like this one.
    DeliverCallback d = std::move(other->job->done);
    if (d) d(Outcome::retry("send to " + endpoint_ + " failed: socket reset (batch resent whole)"));
  }
}

void UdpTransport::failAll(const std::string& why) {
  auto waiting = std::move(waiting_);
  waiting_.clear();
  for (auto& job : waiting) job->done(Outcome::retry(why));
}

void UdpTransport::stop(std::function<void()> done) {
  stopping_ = true;
  failAll("stopping");
  for (auto& s : sending_) {
    s->owner = nullptr;
    DeliverCallback d = std::move(s->job->done);
    if (d) d(Outcome::retry("stopping"));
  }
  sending_.clear();
  ready_ = false;
  udp_.close();
  loop_.post(std::move(done));
}

}  // namespace sluice::plugins::syslog
