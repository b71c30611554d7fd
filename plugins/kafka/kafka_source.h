#pragma once
// The `kafka` source: a member of a consumer group (group_id) reading `topics`. Several Sluices with one group_id
// share the partitions: the relay tier that scales out.
//
// Every callback runs on the loop thread: the consumer queue (messages, rebalances, commit results, librdkafka's
// log) wakes the loop through KafkaLoopClient and is served a bounded number of messages per turn.
//
// At least once (house rule 3): offsets are committed only up to the last record whose line every sink has
// delivered or durably spooled, per partition (KafkaOffsets), by librdkafka's timer every commit_interval (the
// source stores the offsets; the timer skips a rebalance), synchronously
// when partitions are revoked while running, and once more, asynchronously, before the group is left at stop (the
// group is left only once that commit is answered). A revoked partition's pending acknowledgements are ignored: its next
// owner consumes again from the committed offset. Backpressure pauses the assigned partitions (the queue is still
// served, so the group keeps us: max.poll.interval.ms); nothing is dropped.
//
// Each partition is a SourceInfo of its own, instance "TOPIC/PARTITION": the `{source}` of message templates (the
// PROCID of framed lines) says where a line came from.
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "agent/core/log.h"
#include "agent/loop/loop.h"
#include "agent/pipeline/router.h"
#include "agent/pipeline/source.h"
#include "plugins/kafka/kafka_loop_bridge.h"
#include "plugins/kafka/kafka_offsets.h"
#include "plugins/kafka/kafka_source_options.h"

namespace sluice::plugins::kafka {

class KafkaSource : public Source {
 public:
  static constexpr int kMessagesPerTurn = 2000;
  static constexpr uint64_t kLeaveTimeoutMs = 5000;

  KafkaSource(Loop& loop, Router& router, SourceInfo info, KafkaSourceSettings settings, size_t max_line_bytes);
  ~KafkaSource() override;

  Status start() override;
  void pause() override;
  void resume() override;
  // Stops consuming and finishes at once (the agent then drains its sinks); the offsets of what was read are
  // committed as it is acknowledged, then the consumer leaves the group, on the loop (it never waits on the
  // coordinator) and for at most kLeaveTimeout: a group that cannot be left in that time is left by the session
  // timeout, and the partitions' next owner consumes again from the last commit.
  void stop() override;
  std::string describe() const override;
  bool acksOutstanding() const override { return offsets_.outstanding() > 0; }

 private:
  // kafka_source.cc: the consumer's life.
  bool serve(rd_kafka_t* rk);
  void onRebalance(rd_kafka_t* rk, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* partitions);
  void onCommitted(rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* offsets);
  // Store: the acknowledged offsets are stored, and librdkafka's timer commits them once no rebalance is under
  // way; Async and Sync also commit them now (at a revoke, at stop).
  enum class CommitMode { Store, Async, Sync };
  void commit(CommitMode mode, const std::vector<TopicPartition>* only = nullptr);
  void setPaused(bool paused);
  void scheduleCollect();
  void collect();
  void closeConsumer();
  bool serveClose();
  void finishClose(bool left);
  static void onLeaveTimeout(uv_timer_t* timer) noexcept;
  void updateGauges();
  static void onTick(uv_timer_t* timer) noexcept;

  // kafka_source_records.cc: a message becomes records.
  void handleMessage(const rd_kafka_message_t& msg);
  void routeValue(std::string_view value, Record& record);
  const SourceInfo* infoFor(const TopicPartition& tp);
  void consumerError(const rd_kafka_message_t& msg);

  Loop& loop_;
  Router& router_;
  KafkaSourceSettings settings_;
  size_t max_line_bytes_;
  std::unique_ptr<KafkaLoopClient> client_;
  KafkaOffsets offsets_;
  std::map<TopicPartition, std::unique_ptr<SourceInfo>> infos_;
  UvHandle<uv_timer_t> tick_;
  UvHandle<uv_timer_t> leave_timer_;   // while leaving the group: keeps the loop alive, and bounds the wait
  bool paused_ = false;
  bool stopping_ = false;
  bool closing_ = false;   // leaving the group: serve takes the close's events, not messages
  bool collect_posted_ = false;
  bool cooperative_ = false;
  uint64_t pauses_ = 0;
  RateLimitedLog error_log_;
  RateLimitedLog format_log_;
  RateLimitedLog refetch_log_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace sluice::plugins::kafka
