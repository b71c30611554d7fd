// KafkaSource: the consumer's life (start, serving its queue, rebalances, commits, pause, stop).
#include "plugins/kafka/kafka_source.h"

#include <spdlog/spdlog.h>

#include <cstring>

#include "agent/core/units.h"

namespace sluice::plugins::kafka {
namespace {

struct PartitionListDeleter {
  void operator()(rd_kafka_topic_partition_list_t* list) const noexcept {
    rd_kafka_topic_partition_list_destroy(list);
  }
};
using PartitionList = std::unique_ptr<rd_kafka_topic_partition_list_t, PartitionListDeleter>;

std::vector<TopicPartition> partitionsOf(const rd_kafka_topic_partition_list_t* list) {
  std::vector<TopicPartition> out;
  for (int i = 0; list != nullptr && i < list->cnt; ++i) {
    out.emplace_back(list->elems[i].topic, list->elems[i].partition);
  }
  return out;
}

// Stored offsets of these partitions are forgotten (librdkafka does not commit them when it removes them).
void forgetStored(rd_kafka_t* rk, const rd_kafka_topic_partition_list_t* partitions) {
  PartitionList none(rd_kafka_topic_partition_list_copy(partitions));
  for (int i = 0; i < none->cnt; ++i) none->elems[i].offset = RD_KAFKA_OFFSET_INVALID;
  rd_kafka_offsets_store(rk, none.get());
}

// The current assignment (empty when there is none).
PartitionList assignment(rd_kafka_t* rk) {
  rd_kafka_topic_partition_list_t* list = nullptr;
  if (rd_kafka_assignment(rk, &list) != RD_KAFKA_RESP_ERR_NO_ERROR || list == nullptr) {
    return PartitionList(rd_kafka_topic_partition_list_new(0));
  }
  return PartitionList(list);
}

}  // namespace

KafkaSource::KafkaSource(Loop& loop, Router& router, SourceInfo info, KafkaSourceSettings settings,
                         size_t max_line_bytes)
    : Source(std::move(info)),
      loop_(loop),
      router_(router),
      settings_(std::move(settings)),
      max_line_bytes_(max_line_bytes),
      offsets_([this] { scheduleCollect(); }) {}

KafkaSource::~KafkaSource() {
  *alive_ = false;
  // The loop has ended before the group was left (it normally waits for that): what is acknowledged now is
  // committed without waiting, and the group forgets us after its session timeout.
  if (client_ && client_->get() != nullptr && !closing_) {
    offsets_.collect();
    commit(CommitMode::Async);
  }
  finishClose(false);
}

Status KafkaSource::start() {
  Result<KafkaConfPtr> conf =
      makeKafkaConf(settings_.client, kafkaSourceProperties(settings_.group_id, settings_.start_at_beginning,
                                                            settings_.commit_interval));
  if (!conf) return conf.takeError();
  rd_kafka_conf_set_opaque(conf->get(), this);
  rd_kafka_conf_set_rebalance_cb(conf->get(), [](rd_kafka_t* rk, rd_kafka_resp_err_t err,
                                                 rd_kafka_topic_partition_list_t* partitions, void* opaque) noexcept {
    static_cast<KafkaSource*>(opaque)->onRebalance(rk, err, partitions);
  });
  rd_kafka_conf_set_offset_commit_cb(conf->get(), [](rd_kafka_t*, rd_kafka_resp_err_t err,
                                                     rd_kafka_topic_partition_list_t* offsets, void* opaque) noexcept {
    static_cast<KafkaSource*>(opaque)->onCommitted(err, offsets);
  });
  auto client = KafkaLoopClient::create(loop_, KafkaLoopClient::Role::Consumer, std::move(*conf),
                                        "source " + info_.name, [this](rd_kafka_t* rk) { return serve(rk); });
  if (!client) return client.takeError();
  client_ = std::move(*client);
  PartitionList topics(rd_kafka_topic_partition_list_new(static_cast<int>(settings_.topics.size())));
  for (const std::string& t : settings_.topics) {
    rd_kafka_topic_partition_list_add(topics.get(), t.c_str(), RD_KAFKA_PARTITION_UA);
  }
  if (rd_kafka_resp_err_t err = rd_kafka_subscribe(client_->get(), topics.get())) {
    client_->close();
    return Error{"cannot subscribe to the topics: " + std::string(rd_kafka_err2str(err))};
  }
  const auto interval = static_cast<uint64_t>(settings_.commit_interval.count());
  if (int rc = tick_.init(this, [this](uv_timer_t* t) { return uv_timer_init(loop_.get(), t); }); rc < 0) {
    return Error{std::string("uv_timer_init: ") + uv_strerror(rc), rc};
  }
  uv_timer_start(tick_.get(), &KafkaSource::onTick, interval, interval);
  if (router_.pausedFor(info_.name)) paused_ = true;
  return {};
}

std::string KafkaSource::describe() const {
  std::string topics;
  for (const std::string& t : settings_.topics) topics += (topics.empty() ? "" : ", ") + t;
  return "consumes " + topics + " as group " + settings_.group_id + " from " + settings_.client.bootstrapServers();
}

bool KafkaSource::serve(rd_kafka_t* rk) {
  if (closing_) return serveClose();
  int n = 0;
  for (; n < kMessagesPerTurn; ++n) {
    rd_kafka_message_t* msg = rd_kafka_consumer_poll(rk, 0);
    if (msg == nullptr) break;
    // While stopping nothing more is routed: what is not acknowledged is consumed again by the next owner.
    if (!stopping_) handleMessage(*msg);
    rd_kafka_message_destroy(msg);
  }
  offsets_.closeTurn();
  return n == kMessagesPerTurn;
}

void KafkaSource::onRebalance(rd_kafka_t* rk, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* partitions) {
  cooperative_ = std::strcmp(rd_kafka_rebalance_protocol(rk), "COOPERATIVE") == 0;
  const std::vector<TopicPartition> list = partitionsOf(partitions);
  if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
    // A partition given back by the same rebalance goes on from where it was read, its pending lines still
    // pending: an eager rebalance costs the members that keep their partitions no duplicates.
    for (int i = 0; i < partitions->cnt; ++i) {
      const int64_t position = offsets_.assign(list[static_cast<size_t>(i)]);
      if (position >= 0) partitions->elems[i].offset = position;
    }
    offsets_.endRebalance();
    rd_kafka_error_t* error = nullptr;
    if (cooperative_) {
      error = rd_kafka_incremental_assign(rk, partitions);
    } else if (rd_kafka_resp_err_t e = rd_kafka_assign(rk, partitions)) {
      error = rd_kafka_error_new(e, "%s", rd_kafka_err2str(e));
    }
    if (error != nullptr) {
      spdlog::error("source {}: cannot take the assigned partitions: {}", info_.name, rd_kafka_error_string(error));
      rd_kafka_error_destroy(error);
    }
    if (paused_ || stopping_) rd_kafka_pause_partitions(rk, partitions);
    spdlog::info("source {}: {} assigned", info_.name, countOf(list.size(), "partition"));
  } else {
    // Revoked (or lost): what was acknowledged is committed before the partitions go; the rest is the next
    // owner's to consume again.
    offsets_.collect();
    const bool lost = err != RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS || rd_kafka_assignment_lost(rk);
    // While leaving the group the commit must not wait on the loop: the group waits for it before it is left.
    if (!lost) commit(closing_ ? CommitMode::Async : CommitMode::Sync, &list);
    // That commit is the revoke's only one: librdkafka would commit what is stored once more as it removes the
    // partitions, and a client being destroyed waits for every commit it sent to be answered (a coordinator that
    // does not answer would hold the agent's exit past the bound on leaving the group).
    forgetStored(rk, partitions);
    // Eager: the same rebalance may give them back at once (parked until then); cooperative: they go elsewhere.
    for (const TopicPartition& tp : list) offsets_.revoke(tp, !lost && !cooperative_ && !stopping_);
    if (cooperative_) {
      if (rd_kafka_error_t* error = rd_kafka_incremental_unassign(rk, partitions)) rd_kafka_error_destroy(error);
    } else {
      rd_kafka_assign(rk, nullptr);
    }
    spdlog::info("source {}: {} revoked", info_.name, countOf(list.size(), "partition"));
  }
  updateGauges();
}

void KafkaSource::commit(CommitMode mode, const std::vector<TopicPartition>* only) {
  if (!client_ || client_->get() == nullptr) return;
  const std::vector<KafkaOffsets::Commit> due = offsets_.due(only);
  if (due.empty()) return;
  PartitionList list(rd_kafka_topic_partition_list_new(static_cast<int>(due.size())));
  for (const KafkaOffsets::Commit& c : due) {
    rd_kafka_topic_partition_list_add(list.get(), c.partition.first.c_str(), c.partition.second)->offset = c.offset;
  }
  // Stored first: librdkafka's timer commits what is stored, and must not go back behind this commit. A partition
  // no longer assigned is refused here (per partition); its offset is not ours to commit.
  rd_kafka_offsets_store(client_->get(), list.get());
  if (mode == CommitMode::Store) return;
  const bool sync = mode == CommitMode::Sync;
  rd_kafka_resp_err_t err = rd_kafka_commit(client_->get(), list.get(), sync ? 0 : 1);
  if (sync && err == RD_KAFKA_RESP_ERR_NO_ERROR) {
    for (const KafkaOffsets::Commit& c : due) offsets_.markCommitted(c);
  } else if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    onCommitted(err, nullptr);
  }
}

void KafkaSource::onCommitted(rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* offsets) {
  if (err == RD_KAFKA_RESP_ERR__NO_OFFSET) return;  // nothing to commit
  for (int i = 0; err == RD_KAFKA_RESP_ERR_NO_ERROR && offsets != nullptr && i < offsets->cnt; ++i) {
    const rd_kafka_topic_partition_t& p = offsets->elems[i];
    if (p.err == RD_KAFKA_RESP_ERR_NO_ERROR && p.offset >= 0) offsets_.markCommitted({{p.topic, p.partition}, p.offset});
  }
  if (err == RD_KAFKA_RESP_ERR_NO_ERROR) return;
  ++counters_.errors["commit_failed"];
  uint64_t suppressed = 0;
  if (error_log_.allow(&suppressed)) {
    spdlog::warn("source {}: committing offsets failed ({}); tried again at the next commit{}", info_.name,
                 rd_kafka_err2str(err), suppressed > 0 ? " (" + countOf(suppressed, "more error") + ")" : "");
  }
}

void KafkaSource::pause() { setPaused(true); }
void KafkaSource::resume() { setPaused(false); }

void KafkaSource::setPaused(bool paused) {
  if (paused == paused_) return;
  paused_ = paused;
  if (paused) ++pauses_;
  if (!client_ || client_->get() == nullptr || stopping_) return;
  // librdkafka drops what it fetched ahead for these partitions and fetches again from the next record to
  // consume when they resume: nothing is lost, nothing read twice.
  PartitionList list = assignment(client_->get());
  if (paused) {
    rd_kafka_pause_partitions(client_->get(), list.get());
  } else {
    rd_kafka_resume_partitions(client_->get(), list.get());
  }
  updateGauges();
}

void KafkaSource::stop() {
  if (stopping_) return;
  stopping_ = true;
  if (client_ && client_->get() != nullptr) {
    PartitionList list = assignment(client_->get());
    rd_kafka_pause_partitions(client_->get(), list.get());
    // Acknowledgements keep coming while the sinks drain; neither the wakeup nor the timer keeps the loop alive.
    client_->unref();
  }
  if (tick_) uv_unref(tick_.handle());
  router_.flush();
  for (const auto& [tp, info] : infos_) router_.forgetSource(info->id);
  loop_.post([this, alive = std::weak_ptr<bool>(alive_)]() noexcept {
    if (auto a = alive.lock(); a && *a) {
      markFinished();
      collect();
    }
  });
}

void KafkaSource::scheduleCollect() {
  if (collect_posted_ || !*alive_) return;  // destroyed: the destructor collects itself
  collect_posted_ = true;
  loop_.post([this, alive = std::weak_ptr<bool>(alive_)]() noexcept {
    if (auto a = alive.lock(); a && *a) {
      collect_posted_ = false;
      collect();
    }
  });
}

void KafkaSource::collect() {
  offsets_.collect();
  if (stopping_ && offsets_.outstanding() == 0) closeConsumer();
}

// The last commit, then the group is left. Neither waits on the loop: the group is left once the commit is
// answered, and the close's events (the revocation, the commit's result) are served like the consumer queue.
void KafkaSource::closeConsumer() {
  if (closing_ || !client_ || client_->get() == nullptr) return;
  closing_ = true;
  offsets_.collect();
  commit(CommitMode::Async);
  if (Status st = client_->startConsumerClose(); !st) {
    spdlog::warn("source {}: {}", info_.name, st.error().message);
    finishClose(false);
    return;
  }
  const int rc = leave_timer_.init(this, [this](uv_timer_t* t) { return uv_timer_init(loop_.get(), t); });
  if (rc == 0) uv_timer_start(leave_timer_.get(), &KafkaSource::onLeaveTimeout, kLeaveTimeoutMs, 0);
}

bool KafkaSource::serveClose() {
  int n = 0;
  for (; n < kMessagesPerTurn; ++n) {
    rd_kafka_event_t* ev = client_->closeEvent();
    if (ev == nullptr) break;
    if (rd_kafka_event_type(ev) == RD_KAFKA_EVENT_REBALANCE) {
      onRebalance(client_->get(), rd_kafka_event_error(ev), rd_kafka_event_topic_partition_list(ev));
    } else {
      onCommitted(rd_kafka_event_error(ev), rd_kafka_event_topic_partition_list(ev));
    }
    rd_kafka_event_destroy(ev);
  }
  if (client_->consumerClosed()) {
    // Not from inside the client's own callback.
    loop_.post([this, alive = std::weak_ptr<bool>(alive_)]() noexcept {
      if (auto a = alive.lock(); a && *a) finishClose(true);
    });
    return false;
  }
  // At the budget: more may be waiting, and librdkafka wakes the loop only when its queue was empty.
  return n == kMessagesPerTurn;
}

void KafkaSource::onLeaveTimeout(uv_timer_t* timer) noexcept {
  auto* self = ownerOf<KafkaSource>(timer);
  if (self == nullptr) return;
  spdlog::warn("source {}: leaving group {} did not finish within {} ms; its partitions go to the other members "
               "after the session timeout, from the last committed offsets",
               self->info_.name, self->settings_.group_id, kLeaveTimeoutMs);
  self->finishClose(false);
}

void KafkaSource::finishClose(bool left) {
  if (left && client_ && client_->get() != nullptr) {
    spdlog::debug("source {}: left group {}", info_.name, settings_.group_id);
  }
  if (client_) client_->close();
  tick_.close();
  leave_timer_.close();
}

void KafkaSource::updateGauges() {
  counters_.gauges["kafka_pauses"] = pauses_;
  counters_.gauges["kafka_unacked_records"] = offsets_.unresolvedRecords();
  // Not while leaving the group: rd_kafka_assignment waits without a bound for the group's thread to answer, and a
  // request that arrives as the group ends is dropped unanswered (librdkafka 2.0.2 purges the group's queue without
  // replying), which held the loop for good after "N partitions revoked".
  if (closing_ || !client_ || client_->get() == nullptr) return;
  PartitionList list = assignment(client_->get());
  counters_.gauges["kafka_partitions_assigned"] = static_cast<uint64_t>(list->cnt);
  counters_.gauges["kafka_partitions_paused"] = paused_ || stopping_ ? static_cast<uint64_t>(list->cnt) : 0;
  // Lag from what librdkafka already knows (the high watermark of the last fetch): no request.
  rd_kafka_position(client_->get(), list.get());
  uint64_t lag = 0;
  for (int i = 0; i < list->cnt; ++i) {
    int64_t low = 0;
    int64_t high = 0;
    const rd_kafka_topic_partition_t& p = list->elems[i];
    if (p.offset < 0 || rd_kafka_get_watermark_offsets(client_->get(), p.topic, p.partition, &low, &high) != 0) {
      continue;
    }
    if (high > p.offset) lag += static_cast<uint64_t>(high - p.offset);
  }
  counters_.gauges["kafka_consumer_lag"] = lag;
}

void KafkaSource::onTick(uv_timer_t* timer) noexcept {
  auto* self = ownerOf<KafkaSource>(timer);
  if (self == nullptr) return;
  self->offsets_.collect();
  self->commit(CommitMode::Store);
  self->updateGauges();
}

}  // namespace sluice::plugins::kafka
