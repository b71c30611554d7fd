#pragma once
// Where librdkafka's threads meet the loop (ARCHITECTURE "Threads"): a librdkafka client whose queue wakes the
// loop. librdkafka's own queue is the bounded queue (queue.buffering.max.messages / kbytes); when an element
// arrives on it, librdkafka's thread calls one function of ours that does nothing but uv_async_send. The loop
// thread then serves the queue without blocking, a bounded amount per turn. Delivery reports, statistics, errors
// and librdkafka's own log lines (log.queue) all come back this way, so every callback of the client runs on the
// loop thread.
#include <librdkafka/rdkafka.h>
#include <uv.h>

#include <functional>
#include <memory>

#include "agent/core/result.h"
#include "agent/loop/loop.h"
#include "plugins/kafka/kafka_client_options.h"

namespace sluice::plugins::kafka {

class KafkaLoopClient {
 public:
  enum class Role { Producer, Consumer };
  // Runs on the loop thread when the client's queue has something: serves it without blocking and returns true
  // when it stopped at its budget with more left (it then runs again on a later turn). It must not destroy the
  // client.
  using ServeFn = std::function<bool(rd_kafka_t*)>;

  // Creates the client from `conf` (taken, also on failure), with the callbacks and opaque the caller set on it.
  // A consumer's messages come on the consumer queue (rd_kafka_poll_set_consumer); a producer's reports on the
  // main queue. `name` names the client in errors and in librdkafka's log lines.
  static Result<std::unique_ptr<KafkaLoopClient>> create(Loop& loop, Role role, KafkaConfPtr conf,
                                                         std::string name, ServeFn serve);
  ~KafkaLoopClient();
  KafkaLoopClient(const KafkaLoopClient&) = delete;
  KafkaLoopClient& operator=(const KafkaLoopClient&) = delete;

  rd_kafka_t* get() const { return rk_; }
  // Serve on the next turn, as if librdkafka had woken the loop (after producing, say). Loop thread only.
  void wake() noexcept;
  // The wakeup no longer keeps the loop alive by itself (a stopping source whose acknowledgements may still come
  // while the sinks drain). Loop thread only.
  void unref() noexcept;

  // A consumer leaves its group without blocking the loop (rd_kafka_consumer_close would wait on the group's
  // coordinator, forever when the coordinator is stuck): the group's queue is forwarded to a queue of the client's
  // that wakes the loop like the consumer queue. From then on serve takes the revocation and commit results from
  // closeEvent() (never rd_kafka_consumer_poll) until closed() says the group was left.
  Status startConsumerClose();
  // The next event of the close that the serve must handle (a rebalance, an offset commit's result), or nullptr.
  // Log lines are logged and fetched messages dropped here (nothing is routed once a consumer closes).
  rd_kafka_event_t* closeEvent();
  bool consumerClosed() const { return rk_ != nullptr && rd_kafka_consumer_closed(rk_) != 0; }

  // The end, in this order: librdkafka stops calling us, the queue references go, the client is destroyed
  // (rd_kafka_destroy waits for its threads: call it once what was in flight is flushed or given up; a consumer
  // that has not left its group is not made to leave it here, which could block: its partitions move on after the
  // group's session timeout), then the async handle is closed. Once called, serve never runs again. Idempotent;
  // the destructor calls it.
  void close() noexcept;

  // A producer's serve: rd_kafka_poll(rk, 0) while it serves something, at most `budget` times; true when the
  // budget ran out first.
  static bool pollProducer(rd_kafka_t* rk, int budget);

 private:
  KafkaLoopClient(std::string name, ServeFn serve) : name_(std::move(name)), serve_(std::move(serve)) {}
  static void onQueueEvent(rd_kafka_t* rk, void* opaque) noexcept;
  static void onAsync(uv_async_t* async) noexcept;

  std::string name_;
  ServeFn serve_;
  rd_kafka_t* rk_ = nullptr;
  rd_kafka_queue_t* queue_ = nullptr;
  rd_kafka_queue_t* close_queue_ = nullptr;   // while a consumer leaves its group
  UvHandle<uv_async_t> async_;
};

}  // namespace sluice::plugins::kafka
