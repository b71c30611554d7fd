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

// One batch in flight: its datagrams and their requests. Freed when the last request is back, which may be after
// the transport is gone (closing the socket cancels them): `owner` is then null.
struct UdpTransport::Send {
  UdpTransport* owner = nullptr;
  std::unique_ptr<Job> job;
  std::vector<Datagram> datagrams;
  std::vector<uv_udp_send_t> reqs;
  EncodeCounts counts;
  size_t outstanding = 0;
  int error = 0;
};

struct UdpTransport::Resolve {
  uv_getaddrinfo_t req{};
  UdpTransport* owner = nullptr;
};

UdpTransport::UdpTransport(Loop& loop, std::string name, SyslogConfig config)
    : loop_(loop), name_(std::move(name)), config_(std::move(config)) {
  endpoint_ = "udp://" + config_.url.authority();
  if (!config_.url.port_explicit) endpoint_ += ":" + std::to_string(config_.url.port);
}

UdpTransport::~UdpTransport() {
  if (resolving_ != nullptr) {
    resolving_->owner = nullptr;
    uv_cancel(reinterpret_cast<uv_req_t*>(&resolving_->req));
  }
  for (Send* s : sending_) s->owner = nullptr;
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
  auto* r = new Resolve;
  r->owner = this;
  r->req.data = r;
  struct addrinfo hints {};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_DGRAM;
  std::string port = std::to_string(config_.url.port);
  int rc = uv_getaddrinfo(
      loop_.get(), &r->req,
      [](uv_getaddrinfo_t* req, int status, struct addrinfo* res) {
        std::unique_ptr<Resolve> own(static_cast<Resolve*>(req->data));
        if (own->owner != nullptr) {
          own->owner->resolving_ = nullptr;
          own->owner->onResolved(status, status == 0 && res != nullptr ? res->ai_addr : nullptr);
        }
        uv_freeaddrinfo(res);
      },
      config_.url.host.c_str(), port.c_str(), &hints);
  if (rc < 0) {
    delete r;
    failAll("cannot resolve " + config_.url.host + ": " + uv_strerror(rc));
    return;
  }
  resolving_ = r;
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
  auto* s = new Send;
  s->owner = this;
  s->job = std::move(job);
  udpDatagrams(s->job->batch->bytes.view(), config_.max_datagram, config_.oversize, s->datagrams, s->counts);
  s->reqs.resize(s->datagrams.size());
  sending_.push_back(s);
  s->outstanding = 1;  // held until every send is issued, so a synchronous failure cannot finish it early
  for (size_t i = 0; i < s->datagrams.size(); ++i) {
    s->reqs[i].data = s;
    int rc = uv_udp_send(&s->reqs[i], udp_.get(), s->datagrams[i].parts, s->datagrams[i].count, nullptr,
                         &UdpTransport::onSent);
    if (rc < 0) {
      s->error = rc;
      break;
    }
    ++s->outstanding;
  }
  --s->outstanding;
  if (s->outstanding == 0) finish(s);  // nothing in flight (the first send failed): answer now
}

void UdpTransport::onSent(uv_udp_send_t* req, int status) noexcept {
  auto* s = static_cast<Send*>(req->data);
  if (status < 0 && s->error == 0) s->error = status;
  if (--s->outstanding > 0) return;
  if (s->owner == nullptr) {
    delete s;
    return;
  }
  s->owner->finish(s);
}

void UdpTransport::finish(Send* s) {
  sending_.erase(std::remove(sending_.begin(), sending_.end(), s), sending_.end());
  std::unique_ptr<Send> own(s);
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
  for (Send* other : sending_) other->owner = nullptr;  // their callbacks come back cancelled; they free themselves
  std::vector<Send*> orphans;
  orphans.swap(sending_);
  udp_.close();
  for (Send* other : orphans) {
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
  for (Send* s : sending_) {
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
