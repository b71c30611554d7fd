#include "plugins/kafka/kafka_loop_bridge.h"

#include <spdlog/spdlog.h>

namespace sluice::plugins::kafka {
namespace {

// librdkafka's levels are syslog's (0 emergency .. 7 debug). Its error lines are mostly a broker it cannot reach,
// which it retries on its own and which its error callback reports too (the client's owner logs those): debug
// here, like its notices. Warnings (a questionable property) stay warnings.
void logLine(const rd_kafka_t* rk, int level, const char* facility, const char* text) noexcept {
  const char* name = rd_kafka_name(rk);
  if (level <= 2) {
    spdlog::error("kafka {}: {} {}", name, facility, text);
  } else if (level == 4) {
    spdlog::warn("kafka {}: {} {}", name, facility, text);
  } else {
    spdlog::debug("kafka {}: {} {}", name, facility, text);
  }
}

}  // namespace

Result<std::unique_ptr<KafkaLoopClient>> KafkaLoopClient::create(Loop& loop, Role role, KafkaConfPtr conf,
                                                                  std::string name, ServeFn serve) {
  char reason[512] = {0};
  // The log lines come back through the queue too (rd_kafka_set_log_queue below), not from librdkafka's threads.
  if (rd_kafka_conf_set(conf.get(), "log.queue", "true", reason, sizeof reason) != RD_KAFKA_CONF_OK) {
    return Error{name + ": " + reason};
  }
  rd_kafka_conf_set_log_cb(conf.get(), &logLine);
  std::unique_ptr<KafkaLoopClient> self(new KafkaLoopClient(std::move(name), std::move(serve)));
  const rd_kafka_type_t type = role == Role::Producer ? RD_KAFKA_PRODUCER : RD_KAFKA_CONSUMER;
  rd_kafka_t* rk = rd_kafka_new(type, conf.get(), reason, sizeof reason);
  if (rk == nullptr) return Error{self->name_ + ": " + reason};
  (void)conf.release();  // rd_kafka_new took it
  self->rk_ = rk;
  if (role == Role::Consumer) rd_kafka_poll_set_consumer(rk);
  rd_kafka_set_log_queue(rk, nullptr);  // the main queue (forwarded to the consumer queue for a consumer)
  self->queue_ = role == Role::Producer ? rd_kafka_queue_get_main(rk) : rd_kafka_queue_get_consumer(rk);
  int rc = self->async_.init(self.get(), [&loop](uv_async_t* a) { return uv_async_init(loop.get(), a, &onAsync); });
  if (rc < 0) {
    std::string what = self->name_ + ": uv_async_init: " + uv_strerror(rc);
    self->close();
    return Error{what, rc};
  }
  rd_kafka_queue_cb_event_enable(self->queue_, &onQueueEvent, self->async_.get());
  // librdkafka calls only on the queue's change from empty: whatever came before this line is served now.
  self->wake();
  return self;
}

KafkaLoopClient::~KafkaLoopClient() { close(); }

Status KafkaLoopClient::startConsumerClose() {
  if (rk_ == nullptr || close_queue_ != nullptr) return Error{name_ + ": not open"};
  close_queue_ = rd_kafka_queue_new(rk_);
  rd_kafka_queue_cb_event_enable(close_queue_, &onQueueEvent, async_.get());
  if (rd_kafka_error_t* error = rd_kafka_consumer_close_queue(rk_, close_queue_)) {
    Error e{name_ + ": cannot leave the group: " + rd_kafka_error_string(error)};
    rd_kafka_error_destroy(error);
    return e;
  }
  wake();
  return {};
}

rd_kafka_event_t* KafkaLoopClient::closeEvent() {
  while (close_queue_ != nullptr) {
    rd_kafka_event_t* ev = rd_kafka_queue_poll(close_queue_, 0);
    if (ev == nullptr) return nullptr;
    switch (rd_kafka_event_type(ev)) {
      case RD_KAFKA_EVENT_REBALANCE:
      case RD_KAFKA_EVENT_OFFSET_COMMIT:
        return ev;
      case RD_KAFKA_EVENT_LOG: {
        const char* facility = "";
        const char* text = "";
        int level = 7;
        if (rd_kafka_event_log(ev, &facility, &text, &level) == 0) logLine(rk_, level, facility, text);
        break;
      }
      case RD_KAFKA_EVENT_ERROR:
        spdlog::debug("kafka {}: while leaving the group: {}", name_, rd_kafka_event_error_string(ev));
        break;
      default:
        break;  // fetched messages: the partitions' next owner consumes them
    }
    rd_kafka_event_destroy(ev);
  }
  return nullptr;
}

void KafkaLoopClient::wake() noexcept {
  if (async_) uv_async_send(async_.get());
}

void KafkaLoopClient::unref() noexcept {
  if (async_) uv_unref(async_.handle());
}

void KafkaLoopClient::close() noexcept {
  for (rd_kafka_queue_t** q : {&close_queue_, &queue_}) {
    if (*q == nullptr) continue;
    // Under the queue's lock: once this returns, no librdkafka thread is inside onQueueEvent or will enter it.
    rd_kafka_queue_cb_event_enable(*q, nullptr, nullptr);
    rd_kafka_queue_destroy(*q);
    *q = nullptr;
  }
  if (rk_ != nullptr) {
    rd_kafka_destroy_flags(rk_, RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE);
    rk_ = nullptr;
  }
  async_.close();
}

bool KafkaLoopClient::pollProducer(rd_kafka_t* rk, int budget) {
  for (int i = 0; i < budget; ++i) {
    if (rd_kafka_poll(rk, 0) == 0) return false;
  }
  return true;
}

void KafkaLoopClient::onQueueEvent(rd_kafka_t*, void* opaque) noexcept {
  // A librdkafka thread: nothing but the wakeup (uv_async_send is the one libuv call that is thread-safe).
  uv_async_send(static_cast<uv_async_t*>(opaque));
}

void KafkaLoopClient::onAsync(uv_async_t* async) noexcept {
  auto* self = ownerOf<KafkaLoopClient>(async);
  if (self == nullptr || self->rk_ == nullptr) return;
  if (self->serve_(self->rk_)) uv_async_send(async);
}

}  // namespace sluice::plugins::kafka
